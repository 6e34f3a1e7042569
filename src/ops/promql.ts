/**
 * PromQL for the gate metrics that a live process exposes (the mm_md_* cache metrics and the shadow
 * metrics), used by the exported Grafana dashboard and alert rules (pure).
 *
 * Metric names keep the seed's `_ms` suffix (`mm_md_cache_age_ms`, `mm_md_refresh_latency_ms`, …) because
 * dashboards depend on them; Prometheus' convention would be base units (`_seconds`). That is the only
 * deviation `promtool check metrics` reports.
 */
import type { GateSpec } from '../gates/types.js';
import { parseMetricPath } from '../gates/metrics.js';

export const M = {
  hit: 'mm_md_cache_hit_total',
  miss: 'mm_md_cache_miss_total',
  stale: 'mm_md_cache_stale_served_total',
  age: 'mm_md_cache_age_ms',
  invalidations: 'mm_md_cache_invalidations_total',
  refreshLatency: 'mm_md_refresh_latency_ms',
  refreshFailures: 'mm_md_refresh_failures_total',
  evictions: 'mm_md_cache_evictions_total',
  shadowLatency: 'mm_md_shadow_fetch_md_latency_ms',
  shadowTob: 'mm_md_shadow_tob_divergence_ticks',
  shadowStaleness: 'mm_md_shadow_candidate_staleness_ms',
  shadowCompared: 'mm_md_shadow_compared_total',
  shadowTobMismatch: 'mm_md_shadow_tob_mismatch_total',
  shadowDepthMismatch: 'mm_md_shadow_depth_mismatch_total',
  restWeight: 'mm_md_rest_weight_total',
  restRequests: 'mm_md_rest_requests_total',
  restThrottled: 'mm_md_rest_throttled_total',
  restBudget: 'mm_md_rest_weight_budget_per_min',
  restUsedWeight: 'mm_md_rest_used_weight_1m',
} as const;

/** REST weight sent per minute (summed over paths, or by `by`), from the counter's rate over `range`. */
export function restWeightPerMinExpr(range: string, by?: string): string {
  return `${sumRate(M.restWeight, range, { by })} * 60`;
}

/** `rate(m{sel}[w])` summed (optionally by labels). */
export function sumRate(metric: string, range: string, opts: { by?: string; sel?: string } = {}): string {
  const sel = opts.sel ? `{${opts.sel}}` : '';
  return `sum${opts.by ? ` by (${opts.by})` : ''} (rate(${metric}${sel}[${range}]))`;
}

/** Gets served from the cache (fresh + stale) / all cache gets that hit or missed. */
export function hitRatioExpr(range: string, opts: { by?: string; sel?: string } = {}): string {
  const hits = sumRate(M.hit, range, opts);
  return `${hits} / (${hits} + ${sumRate(M.miss, range, opts)})`;
}

export function quantileExpr(q: number, histogram: string, range: string, opts: { by?: string; sel?: string } = {}): string {
  const by = opts.by ? `le, ${opts.by}` : 'le';
  return `histogram_quantile(${q}, ${sumRate(`${histogram}_bucket`, range, { by, sel: opts.sel })})`;
}

const QUANTILES: Record<string, number> = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99, p999: 0.999 };

/**
 * The PromQL of one path-less metric on one path, or undefined when a live process does not expose it
 * (tick_total, deadline misses and top-of-book error exist only in a bench; max and count need the raw data).
 */
export function metricExpr(path: 'uncached' | 'cached', key: string, range: string): string | undefined {
  const parts = key.split('.');
  const pct = parts[parts.length - 1]!;
  const q = QUANTILES[pct];
  const hist = (h: string, sel?: string): string | undefined =>
    q !== undefined ? quantileExpr(q, h, range, { sel }) : pct === 'mean' ? `${sumRate(`${h}_sum`, range, { sel })} / ${sumRate(`${h}_count`, range, { sel })}` : undefined;
  if (parts[0] === 'fetch_md_ms') return hist(M.shadowLatency, `path="${path === 'cached' ? 'candidate' : 'control'}"`);
  if (path !== 'cached') return undefined;
  switch (key) {
    case 'cache.hit_ratio':
      return hitRatioExpr(range);
    case 'cache.miss_ratio':
      return `${sumRate(M.miss, range)} / (${sumRate(M.hit, range)} + ${sumRate(M.miss, range)})`;
    case 'cache.stale_ratio':
      return `${sumRate(M.stale, range)} / (${sumRate(M.hit, range)} + ${sumRate(M.miss, range)})`;
    case 'cache.fresh_ratio':
      return `(${sumRate(M.hit, range)} - ${sumRate(M.stale, range)}) / (${sumRate(M.hit, range)} + ${sumRate(M.miss, range)})`;
    case 'cache.refreshes_per_tick':
      return `${sumRate(`${M.refreshLatency}_count`, range)} / (${sumRate(M.hit, range)} + ${sumRate(M.miss, range)})`;
  }
  if (parts[0] === 'cache' && parts[1] === 'staleness_ms') return hist(M.shadowStaleness);
  if (parts[0] === 'cache' && parts[1] === 'refresh_latency_ms') return hist(M.refreshLatency);
  if (parts[0] === 'cache' && parts[1] === 'tob_error_ticks') return undefined;
  return undefined;
}

/** The PromQL whose value a gate compares with its threshold, or undefined when not observable live. */
export function gateExpr(g: GateSpec, range: string): string | undefined {
  if (g.kind === 'absolute') {
    const p = parseMetricPath(g.metric);
    return p && (p.path === 'cached' || p.path === 'uncached') ? metricExpr(p.path, p.info.key, range) : undefined;
  }
  const u = metricExpr('uncached', g.metric, range);
  const c = metricExpr('cached', g.metric, range);
  if (!u || !c) return undefined;
  return g.kind === 'improvement_ms' ? `(${u}) - (${c})` : `((${c}) - (${u})) / (${u}) * 100`;
}
