/**
 * The shared (L2) tier's store interface. Two implementations: RedisStore (ioredis, real `redis-server`) and
 * SimStore (in memory, on the injected clock, for virtual-time fleet simulation and tests). Both give the same
 * atomic semantics; the lease / epoch / fallback logic that uses them lives once, in SharedTier.
 *
 * Keys (all under the configured prefix): `epoch:<sym>` (fencing counter), `book:<sym>` (book bytes, the epoch
 * it was written under, its depth and its fetch time on the store's clock), `lease:<sym>` (refresh lease).
 */

/** What an atomic read of one symbol returns. */
export interface StoreRead {
  /** Current epoch of the symbol (created on first use; never reused, even after a store restart). */
  epoch: number;
  /** The stored book, only when it was written under the current epoch. */
  book?: { bytes: Uint8Array; depth: number; ageMs: number };
}

/** A notice from the store's pub/sub channel. `origin` is the process that caused it. */
export type StoreEvent =
  | { type: 'written'; symbol: string; epoch: number; origin: string }
  | { type: 'invalidated'; symbol: string; epoch: number; origin: string };

export interface SharedStore {
  /** Reads the epoch and the book written under it (ages measured on the store's clock). */
  read(symbol: string): Promise<StoreRead>;
  /** `SET lease:<sym> token NX PX ms`: true when this call took the lease. */
  acquire(symbol: string, token: string, ms: number): Promise<boolean>;
  /** Compare-and-delete: deletes the lease only while it still holds `token`. True when deleted. */
  release(symbol: string, token: string): Promise<boolean>;
  /**
   * Compare-and-set on the epoch: stores the book only while `epoch:<sym>` still equals `epoch`, stamps its
   * fetch time as (store now − ageMs), expires it after `ttlMs`, and publishes a `written` notice.
   * Returns true when written, false when the epoch moved (the book predates an invalidation).
   */
  write(symbol: string, epoch: number, bytes: Uint8Array, depth: number, ageMs: number, ttlMs: number, origin: string): Promise<boolean>;
  /** `INCR epoch:<sym>`, deletes the book and publishes an `invalidated` notice. Returns the new epoch. */
  invalidate(symbol: string, origin: string): Promise<number>;
  /** A round trip that touches nothing (health probe). */
  ping(): Promise<void>;
  /**
   * Subscribes: `onEvent` for every notice, `onStatus(false)` when the store (or the subscription) is lost,
   * `onStatus(true)` when both are back (notices may have been missed in between).
   */
  subscribe(onEvent: (e: StoreEvent) => void, onStatus: (up: boolean) => void): void;
  close(): Promise<void>;
}

/** Turns a cached value into bytes and back (the book's compact binary form). */
export interface SharedCodec<V> {
  encode(value: V): Uint8Array;
  /** `fetchedAt`: the book's fetch time on the reader's clock (conservative). */
  decode(bytes: Uint8Array, symbol: string, fetchedAt: number): V;
}

/** Counters of one tier (also summed into the mm_md_shared_* / mm_md_l2_* metrics). */
export interface SharedStats {
  l2Hits: number;
  l2Misses: number;
  leaseWins: number;
  leaseWaits: number;
  /** Refreshes a process made itself after waiting out a lease it did not get (holder slow or dead). */
  leaseTimeouts: number;
  /** L2 writes refused because the epoch moved (a refresh begun before an invalidation). */
  writesRefused: number;
  errors: number;
  /** 1 while the circuit breaker is open (L1-only), else 0. */
  fallback: number;
  /** Times the breaker opened. */
  fallbacks: number;
  /** Times the tier came back after a fallback and dropped its L1 entries (notices may have been missed). */
  resyncs: number;
  rttMs: { p50: number; p99: number; max: number; count: number };
}
