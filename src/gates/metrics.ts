/**
 * The catalogue of gateable metrics: every numeric leaf of a Results document's `paths`, how to read it,
 * its unit, and its per-window analogue (used for confidence intervals) when one exists.
 */
import type { PathResult, Results, WindowStats } from '../results/types.js';
import type { FleetResult } from '../sim/fleet.js';

export type Unit = 'ms' | 'ratio' | 'ticks' | 'count';
/** `uncached`, `cached`, or the name of an arm (a named cached path, see results.arms). */
export type PathName = string;

/** An arm name's syntax (as accepted by scenario `arms:` and `bench --policies`). */
const ARM_PATH_RE = /^[A-Za-z][A-Za-z0-9_-]{0,39}$/;

/** How a metric is estimated from per-window stats: the mean of one field, or a ratio of sums. */
export type WindowAnalogue =
  | { kind: 'mean'; field: keyof WindowStats; label: string }
  | { kind: 'ratio'; num: keyof WindowStats; den: keyof WindowStats; label: string };

export interface MetricInfo {
  /** Path-less metric, e.g. `fetch_md_ms.p95` or `cache.hit_ratio`. */
  key: string;
  unit: Unit;
  window?: WindowAnalogue;
  /** Set when the window analogue is only an approximation (e.g. p99.9 → per-window p99). */
  approx?: string;
  /** Only defined on the cached path. */
  cachedOnly: boolean;
}

export const PERCENTILE_KEYS = ['p50', 'p90', 'p95', 'p99', 'p999', 'max', 'mean', 'count'] as const;
const LATENCIES = ['fetch_md_ms', 'tick_total_ms'] as const;
const CACHE_DISTRIBUTIONS = ['staleness_ms', 'tob_error_ticks', 'refresh_latency_ms'] as const;
const PATH_SCALARS = ['deadline_miss_ratio', 'ticks', 'dropped', 'fetch_errors'] as const;
const REST_SCALARS = ['requests', 'weight', 'throttled', 'rate_limited', 'banned', 'refused'] as const;
const REST_RATES = ['requests_per_min', 'weight_per_min'] as const;
const CACHE_SCALARS = ['hit_ratio', 'fresh_ratio', 'stale_ratio', 'miss_ratio', 'gets', 'refreshes', 'refreshes_per_tick', 'refresh_failures', 'evictions'] as const;

function latencyWindow(metric: 'fetch_md_ms' | 'tick_total_ms', pct: string): Pick<MetricInfo, 'window' | 'approx'> {
  const prefix = metric === 'fetch_md_ms' ? 'fetch_md' : 'tick_total';
  const f = (p: 'p50' | 'p95' | 'p99'): keyof WindowStats => `${prefix}_${p}` as keyof WindowStats;
  switch (pct) {
    case 'p50':
    case 'p95':
    case 'p99':
      return { window: { kind: 'mean', field: f(pct), label: `per-window ${pct}` } };
    case 'p90':
      return { window: { kind: 'mean', field: f('p95'), label: 'per-window p95' }, approx: 'windows record no p90; interval spread from per-window p95' };
    case 'p999':
      return { window: { kind: 'mean', field: f('p99'), label: 'per-window p99' }, approx: 'windows record no p99.9; interval spread from per-window p99 (likely understates tail uncertainty)' };
    default:
      return {};
  }
}

const STATIC: MetricInfo[] = [];
for (const m of LATENCIES) for (const p of PERCENTILE_KEYS) STATIC.push({ key: `${m}.${p}`, unit: p === 'count' ? 'count' : 'ms', cachedOnly: false, ...latencyWindow(m, p) });
STATIC.push({ key: 'deadline_miss_ratio', unit: 'ratio', cachedOnly: false, window: { kind: 'ratio', num: 'deadline_misses', den: 'ticks', label: 'Σ deadline_misses / Σ ticks over windows' } });
for (const s of ['ticks', 'dropped', 'fetch_errors']) STATIC.push({ key: s, unit: 'count', cachedOnly: false });
const CACHE_RATIO_FIELD: Record<string, keyof WindowStats> = { hit_ratio: 'hits', fresh_ratio: 'fresh', stale_ratio: 'stale', miss_ratio: 'misses' };
for (const s of CACHE_SCALARS) {
  const num = CACHE_RATIO_FIELD[s];
  STATIC.push(
    num
      ? { key: `cache.${s}`, unit: 'ratio', cachedOnly: true, window: { kind: 'ratio', num, den: 'gets', label: `Σ ${num} / Σ gets over windows` } }
      : { key: `cache.${s}`, unit: 'count', cachedOnly: true },
  );
}
for (const d of CACHE_DISTRIBUTIONS) for (const p of PERCENTILE_KEYS) STATIC.push({ key: `cache.${d}.${p}`, unit: p === 'count' ? 'count' : d === 'tob_error_ticks' ? 'ticks' : 'ms', cachedOnly: true });
for (const s of REST_SCALARS) STATIC.push({ key: `rest.${s}`, unit: 'count', cachedOnly: false });
for (const d of REST_RATES) for (const p of PERCENTILE_KEYS) STATIC.push({ key: `rest.${d}.${p}`, unit: 'count', cachedOnly: false });
STATIC.push({ key: 'rest.saving', unit: 'ratio', cachedOnly: true });

const BY_KEY = new Map(STATIC.map((m) => [m.key, m]));

/** `shadow.*`: the divergence of the candidate (cached) from the control (uncached) in `mdcache shadow` runs. */
const SHADOW: MetricInfo[] = [
  { key: 'compared', unit: 'count', cachedOnly: false },
  { key: 'tob_mismatch_ratio', unit: 'ratio', cachedOnly: false },
  { key: 'depth_mismatch_ratio', unit: 'ratio', cachedOnly: false },
  { key: 'compared_depth', unit: 'count', cachedOnly: false },
];
for (const p of PERCENTILE_KEYS) {
  SHADOW.push({ key: `tob_mismatch_ticks.${p}`, unit: p === 'count' ? 'count' : 'ticks', cachedOnly: false });
  SHADOW.push({ key: `depth_mismatch_levels.${p}`, unit: 'count', cachedOnly: false });
  SHADOW.push({ key: `candidate_staleness_ms.${p}`, unit: p === 'count' ? 'count' : 'ms', cachedOnly: false });
}
const SHADOW_BY_KEY = new Map(SHADOW.map((m) => [m.key, m]));

/**
 * `fleet.*`: the fleet's REST cost (`bench --processes N`, scenario `fleet:`). `rest` is the fleet with the
 * shared tier (L1-only when it has none), `rest_l1_only` every process refreshing on its own; `per_process.<f>.
 * {sum,min,max,mean}` aggregates one per-process counter over the processes.
 */
export const FLEET_PROCESS_FIELDS = ['gets', 'errors', 'hits', 'stale_hits', 'misses', 'rest_requests', 'rest_weight', 'l2_hits', 'lease_wins', 'lease_waits', 'shared_errors', 'fallbacks'] as const;
export const FLEET_AGGREGATES = ['sum', 'min', 'max', 'mean'] as const;
const FLEET: MetricInfo[] = [
  { key: 'processes', unit: 'count', cachedOnly: false },
  { key: 'weight_ratio', unit: 'ratio', cachedOnly: false },
  { key: 'budget_weight_per_min', unit: 'count', cachedOnly: false },
];
for (const r of ['rest', 'rest_l1_only']) {
  for (const s of REST_SCALARS) FLEET.push({ key: `${r}.${s}`, unit: 'count', cachedOnly: false });
  for (const d of REST_RATES) for (const p of PERCENTILE_KEYS) FLEET.push({ key: `${r}.${d}.${p}`, unit: 'count', cachedOnly: false });
}
for (const f of FLEET_PROCESS_FIELDS) for (const a of FLEET_AGGREGATES) FLEET.push({ key: `per_process.${f}.${a}`, unit: 'count', cachedOnly: false });
const FLEET_BY_KEY = new Map(FLEET.map((m) => [m.key, m]));
const NAME = '[A-Za-z0-9_\\-:/]+';
const STAGE_RE = new RegExp(`^stages\\.(${NAME})\\.(${PERCENTILE_KEYS.join('|')})$`);
const INVALIDATION_RE = new RegExp(`^cache\\.invalidations\\.(${NAME})$`);

/** Looks up a path-less metric (`fetch_md_ms.p95`, `stages.decide.p99`, `cache.invalidations.ws_gap`). */
export function metricInfo(key: string): MetricInfo | undefined {
  const s = BY_KEY.get(key);
  if (s) return s;
  const st = STAGE_RE.exec(key);
  if (st) return { key, unit: st[2] === 'count' ? 'count' : 'ms', cachedOnly: false };
  if (INVALIDATION_RE.test(key)) return { key, unit: 'count', cachedOnly: true };
  return undefined;
}

/**
 * Splits `cached.fetch_md_ms.p95` into path and path-less metric; undefined when not a known metric. The
 * path is `uncached`, `cached`, or one of `arms` (named cached paths; `'any'` accepts any arm-like name).
 */
export function parseMetricPath(full: string, arms: readonly string[] | 'any' = []): { path: PathName; info: MetricInfo } | undefined {
  const dot = full.indexOf('.');
  if (dot < 0) return undefined;
  const path = full.slice(0, dot);
  if (path === 'shadow') {
    const info = SHADOW_BY_KEY.get(full.slice(dot + 1));
    return info ? { path, info } : undefined;
  }
  if (path === 'fleet') {
    const info = FLEET_BY_KEY.get(full.slice(dot + 1));
    return info ? { path, info } : undefined;
  }
  const isArm = path !== 'uncached' && (path === 'cached' || (arms === 'any' ? ARM_PATH_RE.test(path) && path !== 'shadow' && path !== 'fleet' : arms.includes(path)));
  if (path !== 'uncached' && !isArm) return undefined;
  const info = metricInfo(full.slice(dot + 1));
  if (!info || (info.cachedOnly && !isArm)) return undefined;
  return { path, info };
}

/** Every static full metric path (for did-you-mean and the docs), arms' included. */
export function allMetricPaths(arms: readonly string[] = []): string[] {
  const out: string[] = [];
  for (const path of ['uncached', 'cached', ...arms]) for (const m of STATIC) if (!m.cachedOnly || path !== 'uncached') out.push(`${path}.${m.key}`);
  for (const m of SHADOW) out.push(`shadow.${m.key}`);
  for (const m of FLEET) out.push(`fleet.${m.key}`);
  return out;
}

/** Path-less metrics that exist on both paths (valid in improvement_ms / regression_pct gates). */
export function allRelativeMetrics(): string[] {
  return STATIC.filter((m) => !m.cachedOnly).map((m) => m.key);
}

const PCTS = `{${PERCENTILE_KEYS.join(',')}}`;
/** The valid metric paths in compact brace form, for error messages. */
export const VALID_METRICS_TEXT = [
  `{uncached,cached}.{fetch_md_ms,tick_total_ms}.${PCTS}`,
  `{uncached,cached}.{${PATH_SCALARS.join(',')}}`,
  `{uncached,cached}.stages.<stage>.${PCTS}`,
  `cached.cache.{${CACHE_SCALARS.join(',')}}`,
  `cached.cache.{${CACHE_DISTRIBUTIONS.join(',')}}.${PCTS}`,
  `cached.cache.invalidations.<reason>`,
  `{uncached,cached}.rest.{${REST_SCALARS.join(',')}}`,
  `{uncached,cached}.rest.{${REST_RATES.join(',')}}.${PCTS}`,
  `cached.rest.saving`,
  `shadow.{compared,tob_mismatch_ratio,depth_mismatch_ratio,compared_depth}`,
  `shadow.{tob_mismatch_ticks,depth_mismatch_levels,candidate_staleness_ms}.${PCTS}`,
  `fleet.{processes,weight_ratio,budget_weight_per_min}`,
  `fleet.{rest,rest_l1_only}.{${REST_SCALARS.join(',')}}`,
  `fleet.{rest,rest_l1_only}.{${REST_RATES.join(',')}}.${PCTS}`,
  `fleet.per_process.{${FLEET_PROCESS_FIELDS.join(',')}}.{${FLEET_AGGREGATES.join(',')}}`,
].join(', ');

export const VALID_RELATIVE_TEXT = [`{fetch_md_ms,tick_total_ms}.${PCTS}`, `{${PATH_SCALARS.join(',')}}`, `stages.<stage>.${PCTS}`, `rest.{${REST_SCALARS.join(',')}}`, `rest.{${REST_RATES.join(',')}}.${PCTS}`].join(', ');

/** Reads a path-less metric from one path of a Results document; undefined when absent from this run. */
export function readMetric(results: Results, path: PathName, key: string): number | undefined {
  if (path === 'shadow') return results.shadow ? num(dig(results.shadow, key.split('.'))) : undefined;
  if (path === 'fleet') return results.fleet ? readFleetMetric(results.fleet, key) : undefined;
  const p: PathResult | undefined = results.paths?.[path];
  if (!p) return undefined;
  const parts = key.split('.');
  if (parts[0] === 'cache') {
    if (!p.cache) return undefined;
    if (parts[1] === 'invalidations') return p.cache.invalidations?.[parts[2]!] ?? 0;
    return num(dig(p.cache, parts.slice(1)));
  }
  if (parts[0] === 'stages') {
    const st = p.stages?.[parts[1]!];
    return st ? num((st as unknown as Record<string, unknown>)[parts[2]!]) : undefined;
  }
  return num(dig(p, parts));
}

/** A `fleet.*` metric (path-less key) of a fleet result; undefined when absent (e.g. L2 counters without a shared tier). */
function readFleetMetric(f: FleetResult, key: string): number | undefined {
  const parts = key.split('.');
  if (parts[0] !== 'per_process') return num(dig(f, parts));
  const field = parts[1]!;
  const values: number[] = [];
  for (const p of f.per_process ?? []) {
    const v = field === 'rest_requests' ? p.rest?.requests : field === 'rest_weight' ? p.rest?.weight : (p as unknown as Record<string, unknown>)[field];
    if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
    values.push(v);
  }
  if (values.length === 0) return undefined;
  const sum = values.reduce((a, b) => a + b, 0);
  switch (parts[2]) {
    case 'sum':
      return sum;
    case 'min':
      return Math.min(...values);
    case 'max':
      return Math.max(...values);
    case 'mean':
      return Math.round((sum / values.length) * 1000) / 1000;
    default:
      return undefined;
  }
}

function dig(o: unknown, parts: string[]): unknown {
  let cur = o;
  for (const k of parts) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Per-window series of one analogue: values for `mean`, numerator/denominator for `ratio`. */
export interface WindowSeries {
  a: number[];
  b: number[];
}

export function windowSeries(ws: readonly WindowStats[], w: WindowAnalogue): WindowSeries {
  if (w.kind === 'mean') return { a: ws.map((x) => Number(x[w.field] ?? 0)), b: ws.map(() => 1) };
  return { a: ws.map((x) => Number(x[w.num] ?? 0)), b: ws.map((x) => Number(x[w.den] ?? 0)) };
}

/** The analogue statistic over a set of window indices: mean of values, or Σnum / Σden. */
export function windowStat(s: WindowSeries, idx: readonly number[]): number {
  let na = 0;
  let nb = 0;
  for (const i of idx) {
    na += s.a[i]!;
    nb += s.b[i]!;
  }
  return nb === 0 ? Number.NaN : na / nb;
}

/** Per-window values of the analogue (each window on its own). */
export function perWindowValues(s: WindowSeries): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.a.length; i++) if (s.b[i]! > 0) out.push(s.a[i]! / s.b[i]!);
  return out;
}
