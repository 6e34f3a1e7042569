/** Renderers for `mdcache compare` (pure): Markdown and a terminal table, benchstat style. */
import Table from 'cli-table3';
import { Chalk } from 'chalk';
import type { CompareGate, CompareRow, Comparison } from '../gates/compare.js';
import { xmlEscape } from './junit.js';
import { fmtP } from '../gates/evaluate.js';
import { COMPACT } from './terminal.js';
import { keepUnitsTogether, fmtCount, fmtMs, fmtPct, fmtRatio, mdCell } from './format.js';

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

export function renderCompareMarkdown(cmp: Comparison, names: CompareNames, gate?: CompareGate): string {
  const out: string[] = [];
  out.push(gate ? `# mdcache compare --gate: ${gate.verdict === 'pass' ? '✅ PASS' : '❌ FAIL'}` : `# mdcache compare`, '');
  out.push(`**A:** \`${names.a}\`  `, `**B:** \`${names.b}\``, '');
  if (gate) out.push(gateLine(gate), '');
  out.push(`Change is B − A. \`~\` means not significant: a two-sided Mann-Whitney U test over the runs' per-window values gives p ≥ α = ${cmp.alpha}.`, '');
  out.push('| Path | Metric | A | B | Change | Significance | |', '| :-- | :-- | --: | --: | --: | :-- | :-- |');
  for (const r of cmp.rows) {
    const v = verdictOf(r);
    const failed = gate?.rows.find((g) => g.path === r.path && g.metric === r.metric)?.status === 'fail';
    const mark = failed ? '❌ regression' : v === 'better' ? '✅ better' : v === 'worse' ? (gate ? `worse, within ${gate.maxRegressionPct} %` : '❌ worse') : '';
    out.push(`| ${r.path} | ${r.label} | ${fmtVal(r, r.a)} | ${fmtVal(r, r.b)} | ${mdCell(fmtChange(r))} | ${fmtPv(r)} | ${mark} |`);
  }
  out.push('');
  return keepUnitsTogether(out.join('\n'));
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

function gateLine(gate: CompareGate): string {
  const failed = gate.rows.filter((r) => r.status === 'fail');
  const rule = `a metric fails when B is significantly worse than A (p < α = ${gate.alpha}) by more than ${gate.maxRegressionPct} %`;
  return failed.length === 0 ? `No significant regression beyond ${gate.maxRegressionPct} % (${rule}).` : `${failed.length} regression${failed.length > 1 ? 's' : ''}: ${failed.map((r) => `${r.path} ${r.label}`).join(', ')} (${rule}).`;
}

/** The verdict line of `compare --gate` for the terminal. */
export function renderCompareGateVerdict(gate: CompareGate, opts: { color: boolean }): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const failed = gate.rows.filter((r) => r.status === 'fail');
  const head = failed.length === 0 ? c.green('verdict: PASS') : c.red('verdict: FAIL');
  const lines = [`${head} (max regression ${gate.maxRegressionPct} %, α = ${gate.alpha})`];
  for (const r of failed) lines.push(c.red(`  ✗ ${r.path} ${r.label}: ${fmtVal(r, r.a)} → ${fmtVal(r, r.b)} (${fmtChange(r)}, ${fmtPv(r)})`));
  return lines.join('\n') + '\n';
}

/** JUnit XML for `compare --gate`: one testcase per gated row, a regression is a `<failure type="compare.regression">`. */
export function renderCompareJUnit(gate: CompareGate, names: CompareNames): string {
  const a = xmlEscape;
  const failures = gate.rows.filter((r) => r.status === 'fail').length;
  const suite = 'mdcache.compare';
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push(`<testsuites name="mdcache compare" tests="${gate.rows.length}" failures="${failures}" errors="0" skipped="0" time="0">`);
  lines.push(`  <testsuite name="${suite}" tests="${gate.rows.length}" failures="${failures}" errors="0" skipped="0" time="0">`);
  lines.push('    <properties>');
  for (const [k, v] of [['verdict', gate.verdict], ['base', names.a], ['head', names.b], ['alpha', String(gate.alpha)], ['max_regression_pct', String(gate.maxRegressionPct)]] as const) lines.push(`      <property name="${a(k)}" value="${a(v)}"/>`);
  lines.push('    </properties>');
  for (const r of gate.rows) {
    const summary = `${r.path} ${r.label}: A ${fmtVal(r, r.a)}, B ${fmtVal(r, r.b)}, change ${fmtChange(r)}, ${fmtPv(r)}`;
    lines.push(`    <testcase classname="${suite}.${a(r.path)}" name="${a(`${r.path} ${r.label}`)}" time="0">`);
    if (r.status === 'fail') lines.push(`      <failure type="compare.regression" message="${a(`regression beyond ${gate.maxRegressionPct} %: ${summary}`)}">${a(summary)}</failure>`);
    lines.push(`      <system-out>${a(summary)}</system-out>`);
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>');
  return lines.join('\n') + '\n';
}
