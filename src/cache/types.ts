/** Public shapes of the cache engine. The engine is generic in the value it holds. */
import type { Clock } from '../core/clock.js';
import type { Registry } from 'prom-client';

export type GetStatus = 'fresh' | 'stale' | 'miss' | 'bypass';

export interface GetResult<V> {
  value: V;
  status: GetStatus;
  /** Age of the returned value (0 for a value just fetched for this caller). */
  ageMs: number;
}

export interface GetOptions {
  depth?: number;
  /** Overrides ttl_ms for this call: fresh when age <= maxAgeMs. */
  maxAgeMs?: number;
}

export interface RefreshContext {
  depth: number;
  signal: AbortSignal;
}

export type RefreshFn<V> = (symbol: string, ctx: RefreshContext) => Promise<V>;

/** Why an entry was invalidated (open set; these are the ones the invalidator uses). */
export type InvalidationReason = 'manual' | 'all' | 'ws_gap' | 'seq_gap' | 'jump' | 'crossed' | 'reconnect' | (string & {});

export interface MDCacheDeps<V> {
  refresh: RefreshFn<V>;
  clock: Clock;
  /** prom-client registry to register the mm_md_* metrics in; omitted = prom-client's default registry. Pass null for none. */
  registry?: Registry | null;
  /** Jitter source for retry backoff, uniform in [0, 1). Default: a stream seeded with a fixed seed (never Math.random). */
  random?: () => number;
  /**
   * Per-symbol jitter source (uniform in [0, 1)); overrides `random` when given. The simulator uses one seeded
   * stream per symbol so a symbol's retries never depend on other symbols' (exact sharding across threads).
   */
  jitterFor?: (symbol: string) => number;
}

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface CacheStats {
  gets: number;
  /** Fresh hits. */
  hits: number;
  staleHits: number;
  misses: number;
  bypasses: number;
  /** (fresh + stale served) / gets. */
  hitRatio: number;
  freshRatio: number;
  staleRatio: number;
  /** Age of the cached entry now (per symbol), or the oldest entry's age (overall); undefined when none. */
  ageMs: number | undefined;
  refreshes: number;
  refreshFailures: number;
  refreshLatencyMs: LatencySummary;
  evictions: number;
  invalidations: Record<string, number>;
}

/** What the invalidator needs from a cache: the book it last served, and the invalidation calls. */
export interface Invalidatable<V> {
  invalidate(symbol: string, reason: InvalidationReason): void;
  invalidateAll(reason: InvalidationReason): void;
  /** The entry currently held for `symbol` without touching LRU order or stats. */
  peek(symbol: string): { value: V; ageMs: number } | undefined;
}
