/**
 * Prometheus series of the shared tier: counters read from every tier on the registry at scrape time (like
 * the cache's own metrics), and the store round-trip histogram observed directly.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { SharedStats } from './types.js';

export const SHARED_METRIC_NAMES = {
  errors: 'mm_md_shared_errors_total',
  fallback: 'mm_md_shared_fallback',
  l2Hits: 'mm_md_l2_hits_total',
  l2Misses: 'mm_md_l2_misses_total',
  leaseWins: 'mm_md_lease_wins_total',
  leaseWaits: 'mm_md_lease_waits_total',
  rtt: 'mm_md_shared_rtt_ms',
} as const;

export const SHARED_RTT_BUCKETS_MS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 50, 100];

interface Source {
  stats(): SharedStats;
}

export class SharedMetrics {
  private readonly sources = new Set<WeakRef<Source>>();
  readonly rtt: Histogram<string>;

  constructor(registry: Registry) {
    const registers = [registry];
    const sum = (pick: (s: SharedStats) => number): number => {
      let n = 0;
      for (const ref of this.sources) {
        const s = ref.deref();
        if (s === undefined) this.sources.delete(ref);
        else n += pick(s.stats());
      }
      return n;
    };
    const fresh = <T>(name: string, make: () => T): T => {
      if (registry.getSingleMetric(name)) registry.removeSingleMetric(name);
      return make();
    };
    const counter = (name: string, help: string, pick: (s: SharedStats) => number): void => {
      fresh(name, () => new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(sum(pick));
        },
      }));
    };
    counter(SHARED_METRIC_NAMES.errors, 'Shared-tier (Redis) calls that failed or timed out; never seen by callers', (s) => s.errors);
    counter(SHARED_METRIC_NAMES.l2Hits, 'Loads served a fresh book from the shared tier (L2)', (s) => s.l2Hits);
    counter(SHARED_METRIC_NAMES.l2Misses, 'Loads that found no fresh book in the shared tier', (s) => s.l2Misses);
    counter(SHARED_METRIC_NAMES.leaseWins, 'Refresh leases taken (this process refreshed for the fleet)', (s) => s.leaseWins);
    counter(SHARED_METRIC_NAMES.leaseWaits, 'Refresh leases held by another process (waited for its book)', (s) => s.leaseWaits);
    fresh(SHARED_METRIC_NAMES.fallback, () => new Gauge({
      name: SHARED_METRIC_NAMES.fallback,
      help: 'Caches working L1-only because the shared tier is unavailable (circuit breaker open)',
      registers,
      collect() {
        this.set(sum((s) => s.fallback));
      },
    }));
    this.rtt = fresh(SHARED_METRIC_NAMES.rtt, () => new Histogram({
      name: SHARED_METRIC_NAMES.rtt,
      help: 'Shared-tier (Redis) command round-trip time in ms',
      buckets: SHARED_RTT_BUCKETS_MS,
      registers,
    }));
  }

  add(source: Source): WeakRef<Source> {
    const ref = new WeakRef(source);
    this.sources.add(ref);
    return ref;
  }

  delete(ref: WeakRef<Source>): void {
    this.sources.delete(ref);
  }
}

const byRegistry = new WeakMap<Registry, SharedMetrics>();

export function sharedMetricsFor(registry: Registry): SharedMetrics {
  let m = byRegistry.get(registry);
  if (!m) {
    m = new SharedMetrics(registry);
    byRegistry.set(registry, m);
  }
  return m;
}
