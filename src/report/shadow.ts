/** Markdown sections of a shadow report: divergence of the candidate (cached) from the control (uncached). */
import type { ShadowResult } from '../results/types.js';
import { fmtCount, fmtMs, fmtRatio } from './format.js';
import { ticksToPrice } from '../market/ticks.js';

function pctRow(label: string, p: { p50: number; p90: number; p95: number; p99: number; p999: number; max: number }, fmt: (v: number) => string): string {
  return `| ${label} | ${fmt(p.p50)} | ${fmt(p.p90)} | ${fmt(p.p95)} | ${fmt(p.p99)} | ${fmt(p.p999)} | ${fmt(p.max)} |`;
}

export function renderShadowSections(s: ShadowResult): string {
  const ticks = (v: number): string => (v >= 1_000_000 ? 'side missing' : `${v}`);
  const out: string[] = [];
  out.push('## Shadow: candidate vs control', '');
  out.push(
    `The control (uncached) result is what the pipeline used; the candidate (cached) ran on the same ${fmtCount(s.compared)} ticks and was only compared. ` +
      `Top of book differed on **${fmtRatio(s.tob_mismatch_ratio)}** of ticks; some of the top ${s.compared_depth} levels per side differed on **${fmtRatio(s.depth_mismatch_ratio)}**.`,
    '',
  );
  out.push('| divergence | p50 | p90 | p95 | p99 | p99.9 | max |', '| :-- | --: | --: | --: | --: | --: | --: |');
  out.push(pctRow('top-of-book mismatch (ticks)', s.tob_mismatch_ticks, ticks));
  out.push(pctRow(`depth levels differing (of ${2 * s.compared_depth})`, s.depth_mismatch_levels, (v) => `${v}`));
  out.push(pctRow('candidate staleness (ms)', s.candidate_staleness_ms, fmtMs), '');
  out.push('### Worst mismatches', '');
  if (s.worst.length === 0) out.push('_None: the candidate always served the control\'s top of book._');
  else {
    out.push('| at | symbol | Δ top (ticks) | depth Δ | control bid / ask (id) | candidate bid / ask (id) | candidate age | status |');
    out.push('| --: | :-- | --: | --: | :-- | :-- | --: | :-- |');
    const inTicks = s.worst.some((w) => !w.tick_size);
    for (const w of s.worst) {
      // Prices in the instrument's own decimals (e.g. 65000.13); files written before tick_size was recorded show ticks.
      const px = (v: number | null): string => (v === null ? '–' : w.tick_size ? ticksToPrice(v, w.tick_size) : String(v));
      out.push(
        `| ${(w.at_ms / 1000).toFixed(3)} s | ${w.symbol} | ${ticks(w.tob_mismatch_ticks)} | ${w.depth_mismatches} | ${px(w.control.bid)} / ${px(w.control.ask)} (${w.control.update_id}) | ${px(w.candidate.bid)} / ${px(w.candidate.ask)} (${w.candidate.update_id}) | ${fmtMs(w.candidate.age_ms)} ms | ${w.candidate.status} |`,
      );
    }
    out.push('', inTicks ? '_Prices are in exchange ticks; ids are the books\' lastUpdateId._' : '_Prices in the instrument\'s decimals; ids are the books\' lastUpdateId._');
  }
  return out.join('\n');
}
