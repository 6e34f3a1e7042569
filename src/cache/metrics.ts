/**
 * Prometheus exposition of the cache's counters (prom-client).
 *
 * The hot path never touches prom-client: every count lives in a plain field of the per-symbol entry (or of
 * the cache). The metrics here carry a `collect()` callback that prom-client runs at scrape time
 * (`registry.metrics()`); it resets the metric and re-sets each series from those fields. A symbol that was
 * evicted is therefore absent from the next scrape: its series are removed with it.
 *
 * One set of metric objects exists per registry (kept in a WeakMap), shared by every MDCache registered on it,
 * so several caches on prom-client's default registry never hit "metric already registered"; a scrape sums
 * the caches' series.
 */
import { createRequire } from 'node:module';
import type { Histogram, Registry } from 'prom-client';

// prom-client is loaded when a cache first binds to a registry, not when the package is imported.
let promLib: typeof import('prom-client') | undefined;
function prom(): typeof import('prom-client') {
  return (promLib ??= createRequire(import.meta.url)('prom-client') as typeof import('prom-client'));
}

/** prom-client's default registry (loads prom-client). */
export function defaultRegistry(): Registry {
  return prom().register;
}

/** The per-symbol counters a cache exposes (read at scrape time only). */
export interface SymbolCounters {
  readonly symbol: string;
  readonly hits: number;
  readonly staleHits: number;
  readonly misses: number;
  readonly bypasses: number;
  readonly failures: number;
  readonly inv: Record<string, number> | undefined;
}

/** What a cache offers to the scrape. */
export interface MetricsSource {
  /** Calls `fn` for every symbol the cache holds. */
  forEachSymbol(fn: (c: SymbolCounters, ageMs: number | undefined) => void): void;
}

export const REFRESH_LATENCY_BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500];

export const METRIC_NAMES = {
  hit: 'mm_md_cache_hit_total',
  miss: 'mm_md_cache_miss_total',
  hitRatio: 'mm_md_cache_hit_ratio',
  age: 'mm_md_cache_age_ms',
  refreshLatency: 'mm_md_refresh_latency_ms',
  staleServed: 'mm_md_cache_stale_served_total',
  invalidations: 'mm_md_cache_invalidations_total',
  refreshFailures: 'mm_md_refresh_failures_total',
  evictions: 'mm_md_cache_evictions_total',
} as const;

interface Agg {
  hits: number;
  stale: number;
  misses: number;
  gets: number;
  failures: number;
  ageMs: number | undefined;
  inv: Map<string, number>;
}

/** The metric objects of one registry and the caches feeding them. */
export class CacheMetrics {
  private readonly sources = new Set<WeakRef<MetricsSource>>();
  /** Evictions across every cache on this registry (monotonic, survives a cache being dropped). */
  evictions = 0;
  readonly refreshLatency: Histogram<string>;
  private snapshot: Map<string, Agg> | undefined;

  constructor(registry: Registry) {
    const { Counter, Gauge, Histogram } = prom();
    const registers = [registry];
    const self = this;
    const fresh = <T>(name: string, make: () => T): T => {
      if (registry.getSingleMetric(name)) registry.removeSingleMetric(name);
      return make();
    };
    // prom-client runs every collect() of one scrape synchronously (registry.metrics() starts each metric's
    // async get() in turn); the snapshot is computed once and dropped at the next microtask.
    const snap = (): Map<string, Agg> => {
      if (!self.snapshot) {
        self.snapshot = self.aggregate();
        queueMicrotask(() => (self.snapshot = undefined));
      }
      return self.snapshot;
    };
    fresh(METRIC_NAMES.hit, () => new Counter({
      name: METRIC_NAMES.hit,
      help: 'Gets served from the cache (fresh + stale)',
      labelNames: ['symbol'],
      registers,
      collect() {
        this.reset();
        for (const [symbol, a] of snap()) this.inc({ symbol }, a.hits + a.stale);
      },
    }));
    fresh(METRIC_NAMES.miss, () => new Counter({
      name: METRIC_NAMES.miss,
      help: 'Gets that waited for a refresh (no usable entry)',
      labelNames: ['symbol'],
      registers,
      collect() {
        this.reset();
        for (const [symbol, a] of snap()) this.inc({ symbol }, a.misses);
      },
    }));
    fresh(METRIC_NAMES.staleServed, () => new Counter({
      name: METRIC_NAMES.staleServed,
      help: 'Gets served an expired entry (stale-while-refresh or stale-if-error)',
      labelNames: ['symbol'],
      registers,
      collect() {
        this.reset();
        for (const [symbol, a] of snap()) this.inc({ symbol }, a.stale);
      },
    }));
    fresh(METRIC_NAMES.hitRatio, () => new Gauge({
      name: METRIC_NAMES.hitRatio,
      help: '(fresh + stale served) / gets, per symbol',
      labelNames: ['symbol'],
      registers,
      collect() {
        this.reset();
        for (const [symbol, a] of snap()) this.set({ symbol }, a.gets > 0 ? (a.hits + a.stale) / a.gets : 0);
      },
    }));
    fresh(METRIC_NAMES.age, () => new Gauge({
      name: METRIC_NAMES.age,
      help: 'Age of the cached entry in ms (time since its refresh completed)',
      labelNames: ['symbol'],
      registers,
      collect() {
        this.reset();
        for (const [symbol, a] of snap()) if (a.ageMs !== undefined) this.set({ symbol }, a.ageMs);
      },
    }));
    fresh(METRIC_NAMES.invalidations, () => new Counter({
      name: METRIC_NAMES.invalidations,
      help: 'Entries invalidated, by reason',
      labelNames: ['symbol', 'reason'],
      registers,
      collect() {
        this.reset();
        for (const [symbol, a] of snap()) for (const [reason, n] of a.inv) this.inc({ symbol, reason }, n);
      },
    }));
    fresh(METRIC_NAMES.refreshFailures, () => new Counter({
      name: METRIC_NAMES.refreshFailures,
      help: 'Refresh attempts that failed or timed out',
      labelNames: ['symbol'],
      registers,
      collect() {
        this.reset();
        for (const [symbol, a] of snap()) this.inc({ symbol }, a.failures);
      },
    }));
    fresh(METRIC_NAMES.evictions, () => new Counter({
      name: METRIC_NAMES.evictions,
      help: 'Symbols evicted by the LRU bound (max_symbols)',
      registers,
      collect() {
        this.reset();
        this.inc(self.evictions);
      },
    }));
    this.refreshLatency = fresh(METRIC_NAMES.refreshLatency, () => new Histogram({
      name: METRIC_NAMES.refreshLatency,
      help: 'Latency of successful refresh attempts in ms',
      buckets: REFRESH_LATENCY_BUCKETS_MS,
      registers,
    }));
  }

  add(source: MetricsSource): WeakRef<MetricsSource> {
    const ref = new WeakRef(source);
    this.sources.add(ref);
    return ref;
  }

  delete(ref: WeakRef<MetricsSource>): void {
    this.sources.delete(ref);
  }

  private aggregate(): Map<string, Agg> {
    const out = new Map<string, Agg>();
    for (const ref of this.sources) {
      const src = ref.deref();
      if (!src) {
        this.sources.delete(ref);
        continue;
      }
      src.forEachSymbol((c, ageMs) => {
        let a = out.get(c.symbol);
        if (!a) {
          a = { hits: 0, stale: 0, misses: 0, gets: 0, failures: 0, ageMs: undefined, inv: new Map() };
          out.set(c.symbol, a);
        }
        a.hits += c.hits;
        a.stale += c.staleHits;
        a.misses += c.misses;
        a.gets += c.hits + c.staleHits + c.misses + c.bypasses;
        a.failures += c.failures;
        if (ageMs !== undefined) a.ageMs = a.ageMs === undefined ? ageMs : Math.max(a.ageMs, ageMs);
        if (c.inv) for (const reason in c.inv) a.inv.set(reason, (a.inv.get(reason) ?? 0) + c.inv[reason]!);
      });
    }
    return out;
  }
}

const byRegistry = new WeakMap<Registry, CacheMetrics>();

/** The shared metric set of `registry`, created (and registered) on first use. */
export function cacheMetricsFor(registry: Registry): CacheMetrics {
  let m = byRegistry.get(registry);
  if (!m) {
    m = new CacheMetrics(registry);
    byRegistry.set(registry, m);
  }
  return m;
}
