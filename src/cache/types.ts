/** Public shapes of the cache engine. The engine is generic in the value it holds. */
import type { AbortLike } from '../core/abort.js';
import type { Clock } from '../core/clock.js';
import type { Registry } from 'prom-client';
import type { SharedTier } from './shared/tier.js';
import type { SharedStats } from './shared/types.js';

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

/**
 * What a refresh call is given. The context is itself abort-like (`aborted`, `reason`, abort listeners: the
 * AbortLike subset of AbortSignal): pass it where an AbortLike is accepted (Clock.sleep, the simulator's and the
 * live REST sources) and no AbortController is created; reading `signal` creates a real AbortSignal (for fetch).
 */
export interface RefreshContext extends AbortLike {
  depth: number;
  readonly signal: AbortSignal;
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
  /**
   * Resolution of the time reads behind TTL and age checks: a CoarseClock over `clock` caches a reading this long
   * (and for at most 64 reads). Default 1 ms for a RealClock (a high-resolution clock read costs as much as the
   * rest of a hit), 0 (read `clock` every time) for any other clock — a VirtualClock stays exact.
   */
  timeResolutionMs?: number;
  /** Shared (L2) tier of a fleet of processes; the cache closes it on close(). Omitted = L1 only. */
  shared?: SharedTier<V>;
  /** policy ws_book: the stream that keeps each symbol's book (required for ws_book, unused otherwise). */
  feed?: BookFeed<V>;
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
  /** Shared-tier counters (L2 hits/misses, leases, errors, fallback); only with a shared tier. */
  shared?: SharedStats;
}

/** What the invalidator needs from a cache: the book it last served, and the invalidation calls. */
export interface Invalidatable<V> {
  invalidate(symbol: string, reason: InvalidationReason): void;
  invalidateAll(reason: InvalidationReason): void;
  /** The entry currently held for `symbol` without touching LRU order or stats. */
  peek(symbol: string): { value: V; ageMs: number } | undefined;
}

// ------------------------------------------------------------------------------------------- ws_book policy

/**
 * What a ws_book cache needs from a market-data stream: per symbol, a book kept correct from the WebSocket diff
 * stream with the exchange's sync procedure (buffer, REST snapshot, replay; resync on a gap, a crossed book or
 * a reconnect). Adapters: src/market/book-feed.ts (synthetic and replayed feeds), src/net/ws-book-feed.ts
 * (a live WsBook). The feed, not the cache, fetches the REST snapshots it needs.
 */
export interface BookFeed<V> {
  /**
   * Starts keeping `symbol`'s book (the initial sync starts now). `listener` receives the symbol's events,
   * synchronously, in order. Subscribing a symbol twice is not allowed (the cache subscribes once per entry).
   */
  subscribe(symbol: string, listener: (e: BookFeedEvent) => void): BookSubscription<V>;
}

export type BookFeedEvent =
  /** The book (re)synced: it matches the exchange as of local time `t`. */
  | { type: 'synced'; t: number }
  /** A stream message for the symbol was applied at local time `t` (the book matches the exchange as of `t`). */
  | { type: 'message'; t: number }
  /** The book can no longer be trusted (gap, seq_gap, crossed, reconnect, …) and a resync has started. */
  | { type: 'lost'; t: number; reason: InvalidationReason }
  /** A snapshot fetch or apply failed (the feed retries with backoff). */
  | { type: 'sync_failed'; t: number; error: unknown };

export interface BookSubscription<V> {
  /** True while the book is in sync with the stream. */
  readonly synced: boolean;
  /** The book's top `depth` levels now (its `takenAt` = the last time it was known to match), or undefined while unsynced. */
  book(depth: number): V | undefined;
  /** Discards the book and resyncs from a new snapshot; emits 'lost' with `reason` before returning. */
  resync(reason: InvalidationReason): void;
  /** Stops keeping the book (no more events). */
  close(): void;
}
