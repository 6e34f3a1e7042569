/** Renderers for `mdcache compare` (pure): Markdown and a terminal table, benchstat style. */
import Table from 'cli-table3';
import { Chalk } from 'chalk';
import type { CompareRow, Comparison } from '../gates/compare.js';
import { fmtP } from '../gates/evaluate.js';
import { COMPACT } from './terminal.js';
import { fmtCount, fmtMs, fmtPct, fmtRatio, mdCell } from './format.js';

function fmtVal(r: CompareRow, v: number): string {
  return r.unit === 'ratio' ? fmtRatio(v) : r.unit === 'ms' ? `${fmtMs(v)} ms` : fmtCount(v);
}

function fmtChange(r: CompareRow): string {
  if (!r.significant) return '~';
  const abs = r.unit === 'ratio' ? `${r.delta >= 0 ? '+' : ''}${(r.delta * 100).toFixed(2)} pp` : `${r.delta >= 0 ? '+' : ''}${fmtMs(r.delta)}${r.unit === 'ms' ? ' ms' : ''}`;
  return r.deltaPct === null ? abs : `${abs} (${fmtPct(r.deltaPct)})`;
}

function fmtPv(r: CompareRow): string {
  return r.p === null ? 'no windows' : `p=${fmtP(r.p)} n=${r.n[0]}+${r.n[1]}`;
}

function verdictOf(r: CompareRow): 'better' | 'worse' | '' {
  if (!r.significant || r.delta === 0) return '';
  return (r.better === 'lower') === r.delta < 0 ? 'better' : 'worse';
}

export interface CompareNames {
  a: string;
  b: string;
}

export function renderCompareMarkdown(cmp: Comparison, names: CompareNames): string {
  const out: string[] = [];
  out.push(`# mdcache compare`, '');
  out.push(`**A:** \`${names.a}\`  `, `**B:** \`${names.b}\``, '');
  out.push(`Change is B − A. \`~\` means not significant: a two-sided Mann-Whitney U test over the runs' per-window values gives p ≥ α = ${cmp.alpha}.`, '');
  out.push('| Path | Metric | A | B | Change | Significance | |', '| :-- | :-- | --: | --: | --: | :-- | :-- |');
  for (const r of cmp.rows) {
    const v = verdictOf(r);
    out.push(`| ${r.path} | ${r.label} | ${fmtVal(r, r.a)} | ${fmtVal(r, r.b)} | ${mdCell(fmtChange(r))} | ${fmtPv(r)} | ${v === 'better' ? '✅ better' : v === 'worse' ? '❌ worse' : ''} |`);
  }
  out.push('');
  return out.join('\n');
}

export function renderCompareTerminal(cmp: Comparison, names: CompareNames, opts: { color: boolean }): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const t = new Table({ head: ['path', 'metric', 'A', 'B', 'change', 'significance'].map((h) => c.bold(h)), style: { head: [], border: [] }, colAligns: ['left', 'left', 'right', 'right', 'right', 'left'], chars: COMPACT });
  for (const r of cmp.rows) {
    const v = verdictOf(r);
    const ch = fmtChange(r);
    t.push([r.path, r.label, fmtVal(r, r.a), fmtVal(r, r.b), v === 'better' ? c.green(ch) : v === 'worse' ? c.red(ch) : ch, fmtPv(r)]);
  }
  return [`A: ${names.a}`, `B: ${names.b}`, t.toString(), c.dim(`change = B − A; ~ = not significant (Mann-Whitney U, two-sided, α = ${cmp.alpha})`)].join('\n') + '\n';
}
