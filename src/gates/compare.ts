/**
 * Side-by-side comparison of two runs (pure). Like benchstat: each row's change is tested with a
 * two-sided Mann-Whitney U over the runs' per-window values and called significant only when p < α.
 */
import type { Results, WindowStats } from '../results/types.js';
import { mannWhitneyU } from './stats.js';
import { readMetric, type PathName, type Unit } from './metrics.js';

export interface CompareRow {
  /** Row label, e.g. `fetch_md p95`. */
  label: string;
  path: PathName;
  /** Path-less metric key in the Results document. */
  metric: string;
  unit: Unit;
  a: number;
  b: number;
  /** b − a. */
  delta: number;
  /** (b − a) / a × 100; null when a is 0. */
  deltaPct: number | null;
  /** Two-sided Mann-Whitney p-value over per-window values; null when either run has no windows. */
  p: number | null;
  significant: boolean;
  /** Windows used from A and B. */
  n: [number, number];
  /** Which direction is an improvement. */
  better: 'lower' | 'higher';
}

export interface Comparison {
  alpha: number;
  rows: CompareRow[];
}

interface RowDef {
  label: string;
  metric: string;
  unit: Unit;
  better: 'lower' | 'higher';
  /** The window's value; `perMin` converts a count in the window to a per-minute rate. */
  perWindow: (w: WindowStats, perMin: (n: number | undefined) => number | undefined) => number | undefined;
  cachedOnly?: boolean;
}

const ratio = (n: number | undefined, d: number | undefined): number | undefined => (d && d > 0 ? (n ?? 0) / d : undefined);

const ROWS: RowDef[] = [
  ...(['p50', 'p95', 'p99'] as const).map((p): RowDef => ({ label: `fetch_md ${p}`, metric: `fetch_md_ms.${p}`, unit: 'ms', better: 'lower', perWindow: (w) => w[`fetch_md_${p}`] })),
  ...(['p50', 'p95', 'p99'] as const).map((p): RowDef => ({ label: `tick_total ${p}`, metric: `tick_total_ms.${p}`, unit: 'ms', better: 'lower', perWindow: (w) => w[`tick_total_${p}`] })),
  { label: 'deadline miss', metric: 'deadline_miss_ratio', unit: 'ratio', better: 'lower', perWindow: (w) => ratio(w.deadline_misses, w.ticks) },
  { label: 'hit ratio', metric: 'cache.hit_ratio', unit: 'ratio', better: 'higher', perWindow: (w) => ratio(w.hits, w.gets), cachedOnly: true },
  // REST cost: per-window counts as per-minute rates (comparable across window lengths).
  { label: 'REST requests / min', metric: 'rest.requests_per_min.mean', unit: 'count', better: 'lower', perWindow: (w, perMin) => perMin(w.rest_requests) },
  { label: 'REST weight / min', metric: 'rest.weight_per_min.mean', unit: 'count', better: 'lower', perWindow: (w, perMin) => perMin(w.rest_weight) },
  { label: 'REST weight / min (max window)', metric: 'rest.weight_per_min.max', unit: 'count', better: 'lower', perWindow: (w, perMin) => perMin(w.rest_weight) },
  { label: 'REST throttled (429/418)', metric: 'rest.throttled', unit: 'count', better: 'lower', perWindow: (w, perMin) => perMin(w.rest_throttled) },
];

export function compareResults(a: Results, b: Results, opts: { alpha?: number } = {}): Comparison {
  const alpha = opts.alpha ?? 0.05;
  const rows: CompareRow[] = [];
  for (const path of ['uncached', 'cached'] as const) {
    for (const d of ROWS) {
      if (d.cachedOnly && path !== 'cached') continue;
      const va = readMetric(a, path, d.metric);
      const vb = readMetric(b, path, d.metric);
      if (va === undefined || vb === undefined) continue;
      const xa = values(a, path, d.perWindow);
      const xb = values(b, path, d.perWindow);
      const p = xa.length > 0 && xb.length > 0 ? mannWhitneyU(xa, xb, 'two-sided').p : null;
      rows.push({
        label: d.label,
        path,
        metric: d.metric,
        unit: d.unit,
        a: va,
        b: vb,
        delta: vb - va,
        deltaPct: va !== 0 ? ((vb - va) / va) * 100 : null,
        p,
        significant: p !== null && p < alpha,
        n: [xa.length, xb.length],
        better: d.better,
      });
    }
  }
  return { alpha, rows };
}

function values(r: Results, path: PathName, f: RowDef['perWindow']): number[] {
  const wm = r.windows?.window_ms ?? 60_000;
  const end = r.duration_ms > 0 ? r.duration_ms : Infinity;
  const out: number[] = [];
  const ws = r.windows?.[path];
  for (const w of Array.isArray(ws) ? ws : []) {
    const len = Math.min(wm, end - w.start_ms);
    const v = f(w, (n) => (n === undefined || !(len > 0) ? undefined : (n * 60_000) / len));
    if (v !== undefined && Number.isFinite(v)) out.push(v);
  }
  return out;
}

/** One row of `compare --gate`: a regression is significant, in the worse direction and above the allowance. */
export interface CompareGateRow extends CompareRow {
  /** How much worse B is than A, in % of A (positive = worse); null when A is 0. */
  regressionPct: number | null;
  status: 'pass' | 'fail';
}

export interface CompareGate {
  alpha: number;
  maxRegressionPct: number;
  rows: CompareGateRow[];
  verdict: 'pass' | 'fail';
}

/**
 * The regression gate of `compare --gate`: a row fails when B is significantly worse than A (p < α, so
 * `~` never fails) and the worsening exceeds `maxRegressionPct` % of A (any significant worsening when A
 * is 0). Every row of the comparison is gated.
 */
export function gateComparison(cmp: Comparison, opts: { maxRegressionPct?: number } = {}): CompareGate {
  const maxRegressionPct = opts.maxRegressionPct ?? 5;
  const rows = cmp.rows.map((r): CompareGateRow => {
    const regressionPct = r.deltaPct === null ? null : r.better === 'lower' ? r.deltaPct : -r.deltaPct;
    const worse = r.significant && (r.better === 'lower' ? r.delta > 0 : r.delta < 0);
    const fail = worse && (regressionPct === null || regressionPct > maxRegressionPct);
    return { ...r, regressionPct, status: fail ? 'fail' : 'pass' };
  });
  return { alpha: cmp.alpha, maxRegressionPct, rows, verdict: rows.some((r) => r.status === 'fail') ? 'fail' : 'pass' };
}
