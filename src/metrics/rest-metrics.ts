/**
 * Prometheus exposition of the REST cost at the venue (#14): the request weight every path's snapshot source
 * spent (by the `limit` asked for: the venue's weight schedule, `rest.weights`), its requests and 429/418
 * responses, the budget they are judged against (`rest.budget.weight_per_min`) and, on a live exchange, the
 * used weight the venue itself reports in `X-MBX-USED-WEIGHT-1M` (the whole IP's, over its rolling minute).
 *
 *   mm_md_rest_weight_total{path}           counter   request weight sent (path: uncached | cached; in
 *                                                     `mdcache shadow`, uncached = control, cached = candidate)
 *   mm_md_rest_requests_total{path}         counter   snapshot requests sent
 *   mm_md_rest_throttled_total{path}        counter   429 / 418 responses
 *   mm_md_rest_weight_budget_per_min        gauge     the budget (weight per minute)
 *   mm_md_rest_used_weight_1m{venue}        gauge     the venue's X-MBX-USED-WEIGHT-1M, venue = REST base URL
 *                                                     (absent until a response carried the header)
 *
 * Like the cache metrics, the hot path never touches prom-client: the counts live in the meters (RestMeter) and
 * are read at scrape time by collect(). One metric set per registry (a WeakMap), so a second run on the same
 * registry replaces the meters instead of failing with "already registered".
 */
import { createRequire } from 'node:module';
import type { Registry } from 'prom-client';

export const REST_METRIC_NAMES = {
  weight: 'mm_md_rest_weight_total',
  requests: 'mm_md_rest_requests_total',
  throttled: 'mm_md_rest_throttled_total',
  budget: 'mm_md_rest_weight_budget_per_min',
  usedWeight: 'mm_md_rest_used_weight_1m',
} as const;

/** What a path's REST meter offers to the scrape (RestMeter has these fields). */
export interface RestCounts {
  readonly requests: number;
  readonly weight: number;
  readonly throttled: number;
}

export interface RestMetricsSource {
  /** Each path's meter, by path label. */
  paths: ReadonlyMap<string, RestCounts> | Record<string, RestCounts>;
  /** The budget, weight per minute. */
  budgetPerMin: number;
  /** The venue's last reported used weight of its rolling minute (undefined: never reported). */
  usedWeight1m?: () => { venue: string; weight: number } | undefined;
}

let promLib: typeof import('prom-client') | undefined;
function prom(): typeof import('prom-client') {
  return (promLib ??= createRequire(import.meta.url)('prom-client') as typeof import('prom-client'));
}

class RestMetrics {
  source: RestMetricsSource | undefined;

  constructor(registry: Registry) {
    const { Counter, Gauge } = prom();
    const registers = [registry];
    const self = this;
    const entries = (): [string, RestCounts][] => {
      const p = self.source?.paths;
      if (!p) return [];
      return p instanceof Map ? [...p.entries()] : Object.entries(p as Record<string, RestCounts>);
    };
    const counter = (name: string, help: string, field: keyof RestCounts): void => {
      if (registry.getSingleMetric(name)) registry.removeSingleMetric(name);
      new Counter({
        name,
        help,
        labelNames: ['path'],
        registers,
        collect() {
          this.reset();
          for (const [path, m] of entries()) this.inc({ path }, m[field]);
        },
      });
    };
    counter(REST_METRIC_NAMES.weight, 'REST request weight sent to the venue (by the depth limit asked for), per path', 'weight');
    counter(REST_METRIC_NAMES.requests, 'REST snapshot requests sent, per path', 'requests');
    counter(REST_METRIC_NAMES.throttled, 'REST responses 429 (rate limited) or 418 (banned), per path', 'throttled');
    const fresh = (name: string): void => {
      if (registry.getSingleMetric(name)) registry.removeSingleMetric(name);
    };
    fresh(REST_METRIC_NAMES.budget);
    new Gauge({
      name: REST_METRIC_NAMES.budget,
      help: 'REST weight budget per minute (rest.budget.weight_per_min)',
      registers,
      collect() {
        this.set(self.source?.budgetPerMin ?? 0);
      },
    });
    // Labelled by venue, so the series is absent (not 0) until the venue has reported a value.
    fresh(REST_METRIC_NAMES.usedWeight);
    new Gauge({
      name: REST_METRIC_NAMES.usedWeight,
      help: "The venue's used request weight of its rolling minute (X-MBX-USED-WEIGHT-1M), as last reported",
      labelNames: ['venue'],
      registers,
      collect() {
        this.reset();
        const u = self.source?.usedWeight1m?.();
        if (u && Number.isFinite(u.weight)) this.set({ venue: u.venue }, u.weight);
      },
    });
  }
}

const byRegistry = new WeakMap<Registry, RestMetrics>();

/** Exposes `source` on `registry` (replacing what an earlier run on the same registry exposed). */
export function exposeRestMetrics(registry: Registry, source: RestMetricsSource): void {
  let m = byRegistry.get(registry);
  if (!m) byRegistry.set(registry, (m = new RestMetrics(registry)));
  m.source = source;
}
