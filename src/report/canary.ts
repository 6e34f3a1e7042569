/** The canary report (Markdown) and its timeline chart (SVG), pure. */
import type { CanaryResults } from '../ops/canary.js';
import { renderLineChart, type Series, type Tick } from './svg.js';
import { COLORS } from './charts.js';
import { keepUnitsTogether, fmtInterval, fmtMs, fmtRatio, fmtUnit, gateUnit, mdCell, STATUS_ICON } from './format.js';
import { formatDuration } from '../core/duration.js';

export const CANARY_CHART = 'canary-timeline.svg';
export const CANARY_LATENCY_CHART = 'canary-fetch_md-p95.svg';

const OUTCOME_PLAIN = { promoted: 'PROMOTED to 100 %', rolled_back: 'ROLLED BACK to 0 %', halted: 'HALTED (needs a human)' } as const;
const OUTCOME_TEXT = { promoted: `✅ ${OUTCOME_PLAIN.promoted}`, rolled_back: `❌ ${OUTCOME_PLAIN.rolled_back}`, halted: `⚠️ ${OUTCOME_PLAIN.halted}` } as const;

function minutes(c: CanaryResults): { domain: [number, number]; ticks: Tick[] } {
  const endMin = Math.max(1, (c.steps.length * c.step_duration_ms) / 60_000);
  const step = endMin <= 10 ? 1 : endMin <= 30 ? 5 : endMin <= 120 ? 10 : 30;
  const ticks: Tick[] = [];
  for (let v = 0; v <= endMin + 1e-9; v += step) ticks.push({ v, label: String(v) });
  return { domain: [0, endMin], ticks };
}

export function renderCanaryCharts(c: CanaryResults): Record<string, string> {
  const ax = minutes(c);
  const mid = (s: number): number => (s + c.window_ms / 2) / 60_000;
  const share: Series = { name: 'traffic share on the cache (%)', color: '#444444', points: [] };
  for (const st of c.steps) share.points.push([st.start_ms / 60_000, st.share_pct], [st.end_ms / 60_000, st.share_pct]);
  if (c.outcome === 'rolled_back' && c.steps.length) {
    const end = c.steps[c.steps.length - 1]!.end_ms / 60_000;
    share.points.push([end, 0]);
  }
  const hit: Series = { name: 'cache hit ratio (%)', color: COLORS.cached, markers: true, points: c.timeline.filter((p) => p.hit_ratio !== null).map((p) => [mid(p.start_ms), p.hit_ratio! * 100]) };
  const timeline = renderLineChart({
    title: `Canary ${c.scenario.name as string}: ${OUTCOME_PLAIN[c.outcome]}`,
    subtitle: `steps ${c.steps_planned.join(' → ')} % · ${formatDuration(c.step_duration_ms)} each · seed ${c.seed}`,
    xLabel: 'time (min)',
    yLabel: 'percent',
    xDomain: ax.domain,
    xTicks: ax.ticks,
    yDomain: [0, 130],
    series: [share, hit],
    refLines: [{ y: 50, label: 'rollback: hit ratio < 50 %', color: COLORS.rollback, dash: '6 4' }],
  });
  const canaryP95: Series = { name: 'canary (cached) fetch_md p95', color: COLORS.cached, markers: true, points: c.timeline.filter((p) => p.canary_fetch_md_p95 !== null).map((p) => [mid(p.start_ms), p.canary_fetch_md_p95!]) };
  const controlP95: Series = { name: 'control (uncached) fetch_md p95', color: COLORS.uncached, dash: '6 4', markers: true, points: c.timeline.filter((p) => p.control_fetch_md_p95 !== null).map((p) => [mid(p.start_ms), p.control_fetch_md_p95!]) };
  const latency = renderLineChart({
    title: 'fetch_md p95 per window: canary vs control',
    subtitle: `${c.scenario.name as string} · window ${formatDuration(c.window_ms)}`,
    xLabel: 'time (min)',
    yLabel: 'fetch_md p95 (ms)',
    xDomain: ax.domain,
    xTicks: ax.ticks,
    series: [controlP95, canaryP95],
  });
  return { [CANARY_CHART]: timeline, [CANARY_LATENCY_CHART]: latency };
}

export function renderCanaryMarkdown(c: CanaryResults): string {
  const out: string[] = [];
  out.push(`# mdcache canary: ${c.scenario.name as string}`, '');
  out.push(`## ${OUTCOME_TEXT[c.outcome]}`, '');
  out.push(`> ${c.reason}`, '');
  if (c.run.interrupted) out.push('> ⏹️ Interrupted: the figures cover the steps that ran.', '');
  for (const n of c.notices ?? []) out.push(`> ℹ️ ${n}`, '');
  const byProcess = c.unit === 'process' && (c.processes ?? 1) > 1;
  out.push(
    (byProcess
      ? `${c.processes} processes quote every symbol, each with its own cache${c.shared ? ' (the canary processes\' caches over one shared, simulated L2 tier: `fleet.shared`)' : ''}. Each step runs the cache in a share of the processes (the first ⌈share × ${c.processes}⌉, sticky); the other processes stay uncached as the control group. When every process is in the canary, the control is the uncached path run in shadow on the same ticks. `
      : `Each step routes a sticky share of symbols (by hash of the name) through the cache${(c.processes ?? 1) > 1 ? ` in all ${c.processes} processes` : ''}; the rest stay uncached as the control group. When every symbol is in the canary, the control is the uncached path run in shadow on the same ticks. `) +
      `A rollback condition holds only when its whole 95% interval is past the threshold; a step is healthy when every condition is clearly false.`,
    '',
  );
  out.push('## Steps', '');
  out.push(`| step | share | canary / control ${byProcess ? 'processes' : 'symbols'} | hit ratio | fetch_md p95 canary | fetch_md p95 control | p95 change | decision |`);
  out.push('| --: | --: | :-- | --: | --: | --: | --: | :-- |');
  for (const s of c.steps) {
    const m = s.metrics;
    out.push(
      `| ${s.index} | ${s.share_pct} % | ${byProcess ? s.canary_processes?.length ?? 0 : s.canary_symbols.length} / ${s.shadow_control ? 'shadow' : byProcess ? s.control_processes?.length ?? 0 : s.control_symbols.length} | ${fmtRatio(m.hit_ratio)} | ${fmtMs(m.canary_fetch_md_p95)} ms | ${fmtMs(m.control_fetch_md_p95)} ms | ${m.fetch_md_p95_regression_pct >= 0 ? '+' : ''}${m.fetch_md_p95_regression_pct.toFixed(1)} % | ${s.decision === 'healthy' ? '✅ healthy' : s.decision === 'breach' ? '❌ breach → rollback' : '⚠️ inconclusive'} |`,
    );
  }
  out.push('');
  for (const s of c.steps) {
    out.push(`### Step ${s.index} (${s.share_pct} %): rollback conditions`, '');
    out.push('| | condition | value | 95% interval | holds? |', '| :-: | :-- | --: | --: | :-- |');
    for (const g of s.conditions) {
      const u = gateUnit(g);
      const holds = g.status === 'pass' ? 'yes → roll back' : g.status === 'fail' ? 'no' : 'cannot tell';
      out.push(`| ${g.status === 'pass' ? '❌' : g.status === 'fail' ? '✅' : STATUS_ICON.inconclusive} | ${mdCell(g.name)} | ${fmtUnit(g.value, u)} | ${fmtInterval(g.ci, u)} | ${holds} |`);
    }
    out.push('');
    if (byProcess) out.push(`Canary processes: ${s.canary_processes?.map((k) => `p${k}`).join(', ') || '–'} (of ${c.processes})`, '');
    // (older canary.json files have no REST figures per step)
    if (s.metrics.canary_rest_requests !== undefined) out.push(`Canary REST: ${s.metrics.canary_rest_requests} snapshot requests, weight ${s.metrics.canary_rest_weight}.`, '');
    else if (s.canary_symbols.length <= 20) out.push(`Canary symbols: ${s.canary_symbols.join(', ') || '–'}`, '');
  }
  if (c.shared) {
    const x = c.shared;
    out.push('## Shared tier (simulated, `fleet.shared`)', '', `L2 hits ${x.l2_hits}, misses ${x.l2_misses}; lease wins ${x.lease_wins}, waits ${x.lease_waits}, time-outs ${x.lease_timeouts}; store errors ${x.errors}, fallbacks to L1-only ${x.fallbacks}.`, '');
  }
  out.push('## Timeline', '', `![traffic share and hit ratio over time](./${CANARY_CHART})`, '', `![fetch_md p95, canary vs control](./${CANARY_LATENCY_CHART})`, '');
  out.push('## Reproduce', '', '```sh', c.run.command, '```', '', `Seed ${c.seed}; ${c.run.clock} clock; mdcache ${c.run.version}.`, '');
  return keepUnitsTogether(out.join('\n'));
}
