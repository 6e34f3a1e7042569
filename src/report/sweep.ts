/** sweep.md, the sweep's terminal table and its two SVG scatter charts (pure: strings in, strings out). */
import Table from 'cli-table3';
import type { SweepDoc, SweepPoint } from '../sim/sweep.js';
import { OBJECTIVE_METRIC, pointLabel, rankPoints } from '../sim/sweep.js';
import { esc, niceMax, niceTicks } from './svg.js';
import { COLORS } from './charts.js';
import { STATUS_ICON, fmtCount, fmtMs, fmtRatio, mdCell } from './format.js';
import { formatDuration } from '../core/duration.js';
import { COMPACT } from './terminal.js';

export const SWEEP_CHARTS = {
  tob: 'sweep-tick_total-vs-tob_error.svg',
  rest: 'sweep-tick_total-vs-rest_weight.svg',
} as const;

const ticksText = (v: number): string => (Number.isInteger(v) ? String(v) : fmtMs(v));
const orNa = (v: number | null, f: (x: number) => string): string => (v === null ? 'n/a' : f(v));

/** Table rows (header + one per point) in rank order: passing first, best on the objective first. */
export function sweepRows(doc: SweepDoc): { head: string[]; rows: string[][]; order: number[] } {
  const keys = doc.params.map((p) => p.key.replace(/^md_cache\./, ''));
  const head = ['#', ...keys, 'verdict', 'tick_total p95', 'fetch_md p95', 'hit', 'fresh', 'staleness p99', 'tob err p99', 'REST w/min', 'REST saving', 'pareto'];
  const order = rankPoints(doc.points, doc.objective);
  const rows = order.map((i) => {
    const p = doc.points[i]!;
    const m = p.metrics;
    return [
      `${i}${i === doc.recommended ? ' ★' : ''}`,
      ...doc.params.map((q) => String(p.params[q.key])),
      p.verdict,
      fmtMs(m.tick_total_p95),
      fmtMs(m.fetch_md_p95),
      fmtRatio(m.hit_ratio),
      fmtRatio(m.fresh_ratio),
      fmtMs(m.staleness_p99),
      ticksText(m.tob_error_p99),
      orNa(m.rest_weight_per_min, fmtCount),
      orNa(m.rest_saving, fmtRatio),
      doc.pareto.includes(i) ? '◆' : '',
    ];
  });
  return { head, rows, order };
}

export function renderSweepMarkdown(doc: SweepDoc, chartPrefix: string | null = './'): string {
  const { head, rows } = sweepRows(doc);
  const out: string[] = [];
  const n = doc.points.length;
  const passing = doc.points.filter((p) => p.verdict === 'pass').length;
  out.push(`# mdcache sweep: ${doc.scenario}`, '');
  if (doc.recommended !== null) {
    const p = doc.points[doc.recommended]!;
    out.push(`## ✅ Recommended: \`${pointLabel(p.params)}\``, '', `> ${doc.reason}.`, '');
  } else out.push('## ❌ No recommendation', '', `> ${doc.reason}.`, '');
  out.push(
    `${n} point(s), ${passing} passing all their gates; each point is a bench of uncached vs that md_cache configuration on the same workload (seed ${doc.seed}, ${formatDuration(doc.duration_ms)} simulated). Objective: lowest \`${OBJECTIVE_METRIC[doc.objective]}\` among passing points, ties broken by REST weight then tick_total p95. ◆ = Pareto front on tick_total p95 × top-of-book error p99 × REST weight per minute; ★ = recommended.`,
    '',
  );
  out.push(`| ${head.join(' | ')} |`, `| ${head.map((_, i) => (i === 0 || i > doc.params.length ? '--:' : ':--')).join(' | ')} |`);
  for (const r of rows) out.push(`| ${r.map(mdCell).join(' | ')} |`);
  out.push('');
  for (const note of doc.notes ?? []) out.push(`> ℹ️ ${note}.`, '');
  const failing = doc.points.map((p, i) => [i, p] as const).filter(([, p]) => p.verdict !== 'pass');
  if (failing.length > 0) {
    out.push('### Unmet gates', '');
    for (const [i, p] of failing) out.push(`- **#${i}** \`${pointLabel(p.params)}\`: ${p.gates.filter((g) => g.status !== 'pass').map((g) => `${STATUS_ICON[g.status]} ${g.name} (${g.value})`).join(', ')}`);
    out.push('');
  }
  if (chartPrefix !== null) {
    out.push('## Charts', '', `![tick_total p95 vs top-of-book error p99](${chartPrefix}${SWEEP_CHARTS.tob})`, '', `![tick_total p95 vs REST weight per minute](${chartPrefix}${SWEEP_CHARTS.rest})`, '');
  }
  out.push('## Reproduce', '', '```sh', doc.run.command, '```', '');
  return out.join('\n');
}

interface Dot {
  x: number;
  y: number;
  label: string;
  pareto: boolean;
  pass: boolean;
  recommended: boolean;
}

/** A scatter chart: passing points blue, gate-failing points grey, Pareto points as diamonds, the recommendation starred. */
export function renderScatter(title: string, xLabel: string, yLabel: string, dots: readonly Dot[], subtitle?: string): string {
  const W = 760;
  const H = 440;
  const m = { left: 72, right: 40, top: subtitle ? 78 : 62, bottom: 58 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const xs = dots.map((d) => d.x).filter(Number.isFinite);
  const ys = dots.map((d) => d.y).filter(Number.isFinite);
  const x1 = niceMax(xs.length ? Math.max(...xs) : 1);
  const y1 = niceMax(ys.length ? Math.max(...ys) : 1);
  const sx = (x: number): number => Math.round((m.left + (x / x1) * pw) * 10) / 10;
  const sy = (y: number): number => Math.round((m.top + ph - (y / y1) * ph) * 10) / 10;
  const o: string[] = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  o.push(`<title>${esc(title)}</title>`, `<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  o.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold" fill="#222">${esc(title)}</text>`);
  if (subtitle) o.push(`<text x="${W / 2}" y="42" text-anchor="middle" font-size="12" fill="#555">${esc(subtitle)}</text>`);
  for (const t of niceTicks(0, y1, 6)) o.push(`<line x1="${m.left}" y1="${sy(t)}" x2="${m.left + pw}" y2="${sy(t)}" stroke="#e5e5e5"/><text x="${m.left - 8}" y="${sy(t)}" dy="4" text-anchor="end" fill="#333">${esc(String(t))}</text>`);
  for (const t of niceTicks(0, x1, 6)) o.push(`<line x1="${sx(t)}" y1="${m.top}" x2="${sx(t)}" y2="${m.top + ph}" stroke="#eeeeee"/><text x="${sx(t)}" y="${m.top + ph + 19}" text-anchor="middle" fill="#333">${esc(String(t))}</text>`);
  o.push(`<line x1="${m.left}" y1="${m.top + ph}" x2="${m.left + pw}" y2="${m.top + ph}" stroke="#333"/><line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${m.top + ph}" stroke="#333"/>`);
  o.push(`<text x="${m.left + pw / 2}" y="${H - 12}" text-anchor="middle" fill="#222">${esc(xLabel)}</text>`);
  o.push(`<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" fill="#222">${esc(yLabel)}</text>`);
  const shown = dots.filter((d) => Number.isFinite(d.x) && Number.isFinite(d.y));
  // Failing points first (underneath), then passing ones.
  for (const d of [...shown.filter((d) => !d.pass), ...shown.filter((d) => d.pass)]) {
    const fill = d.pass ? COLORS.cached : '#bbbbbb';
    const cls = `point${d.pass ? ' pass' : ' fail'}${d.pareto ? ' pareto' : ''}${d.recommended ? ' recommended' : ''}`;
    const x = sx(d.x);
    const y = sy(d.y);
    o.push(`<g class="${cls}"><title>${esc(d.label)}</title>`);
    if (d.pareto) o.push(`<path d="M${x},${y - 7} L${x + 7},${y} L${x},${y + 7} L${x - 7},${y} Z" fill="${fill}" stroke="#222" stroke-width="1.2"/>`);
    else o.push(`<circle cx="${x}" cy="${y}" r="4.5" fill="${fill}" stroke="${d.pass ? '#1b4f72' : '#999999'}"/>`);
    if (d.recommended) o.push(`<circle cx="${x}" cy="${y}" r="11" fill="none" stroke="${COLORS.gate}" stroke-width="2"/>`);
    o.push(`<text x="${x + 9}" y="${y - 8}" font-size="10" fill="${d.pass ? '#222' : '#999'}">${esc(d.label)}</text></g>`);
  }
  // legend
  const lx = m.left + pw - 210;
  const ly = m.top + 8;
  o.push(`<g class="legend"><rect x="${lx}" y="${ly}" width="200" height="80" fill="#ffffff" fill-opacity="0.85" stroke="#cccccc"/>`);
  o.push(`<circle cx="${lx + 14}" cy="${ly + 16}" r="4.5" fill="${COLORS.cached}"/><text x="${lx + 28}" y="${ly + 20}" fill="#222">passes its gates</text>`);
  o.push(`<circle cx="${lx + 14}" cy="${ly + 34}" r="4.5" fill="#bbbbbb"/><text x="${lx + 28}" y="${ly + 38}" fill="#222">fails a gate (grey)</text>`);
  o.push(`<path d="M${lx + 14},${ly + 45} L${lx + 21},${ly + 52} L${lx + 14},${ly + 59} L${lx + 7},${ly + 52} Z" fill="#ffffff" stroke="#222"/><text x="${lx + 28}" y="${ly + 56}" fill="#222">Pareto front</text>`);
  o.push(`<circle cx="${lx + 14}" cy="${ly + 70}" r="7" fill="none" stroke="${COLORS.gate}" stroke-width="2"/><text x="${lx + 28}" y="${ly + 74}" fill="#222">recommended</text></g>`);
  if (shown.length === 0) o.push(`<text x="${m.left + pw / 2}" y="${m.top + ph / 2}" text-anchor="middle" fill="#999" font-size="14">no data</text>`);
  o.push('</svg>');
  return o.join('\n') + '\n';
}

function dots(doc: SweepDoc, x: (p: SweepPoint) => number | null): Dot[] {
  return doc.points.map((p, i) => ({
    x: x(p) ?? Number.NaN,
    y: p.metrics.tick_total_p95,
    label: `#${i} ${pointLabel(p.params)}`,
    pareto: doc.pareto.includes(i),
    pass: p.verdict === 'pass',
    recommended: doc.recommended === i,
  }));
}

/** Chart file name → SVG text. */
export function renderSweepCharts(doc: SweepDoc): Record<string, string> {
  const sub = `${doc.scenario}, seed ${doc.seed}, ${formatDuration(doc.duration_ms)} per point`;
  return {
    [SWEEP_CHARTS.tob]: renderScatter('tick_total p95 vs top-of-book error p99', 'cached top-of-book error p99 (exchange ticks)', 'cached tick_total p95 (ms)', dots(doc, (p) => p.metrics.tob_error_p99), sub),
    [SWEEP_CHARTS.rest]: renderScatter(
      'tick_total p95 vs REST weight per minute',
      doc.points.some((p) => p.metrics.rest_weight_per_min === null) ? 'cached REST weight per minute (n/a: no REST cost figures in this run)' : 'cached REST weight per minute (worst window)',
      'cached tick_total p95 (ms)',
      dots(doc, (p) => p.metrics.rest_weight_per_min),
      sub,
    ),
  };
}

/** The terminal summary: the ranked table and the recommendation. */
export function renderSweepTerminal(doc: SweepDoc): string {
  const { head, rows } = sweepRows(doc);
  const t = new Table({ head, style: { head: [], border: [] }, chars: COMPACT, colAligns: head.map((_, i) => (i === 0 || i > doc.params.length ? 'right' : 'left')) });
  for (const r of rows) t.push(r);
  const lines = [`mdcache sweep: ${doc.scenario} (seed ${doc.seed}, ${formatDuration(doc.duration_ms)} per point, ${doc.points.length} points)`, t.toString()];
  lines.push(doc.recommended !== null ? `recommended: #${doc.recommended} ${pointLabel(doc.points[doc.recommended]!.params)} — ${doc.reason}` : `no recommendation: ${doc.reason}`);
  for (const n of doc.notes ?? []) lines.push(`note: ${n}`);
  return lines.join('\n') + '\n';
}
