/**
 * One refresh of one symbol through the shared tier (what MDCache runs instead of calling `refresh` directly
 * when a shared tier is configured):
 *
 *   1. read L2: a book fetched under the current epoch, deep enough and no older than the callers allow (ttl_ms or their maxAgeMs) → use it (L2 hit);
 *   2. else take the lease (`SET lease NX PX`): the winner reads L2 once more (the previous holder may have
 *      written and released in between), then calls `refresh` (REST), writes the book to L2 under the epoch
 *      of that read (refused when an invalidation moved it) and releases the lease;
 *   3. a loser waits for the winner's `written` notice (at most lease_ms) and reads L2 again; after two rounds
 *      without a fresh book (holder slow or dead, lease expired and taken again) it refreshes on its own.
 *
 * The store being unavailable at any step means: refresh on our own (L1-only). Nothing here throws a store
 * error; only `refresh`'s own error (or the abort) reaches the cache's retry loop.
 */
import type { AbortLike } from '../../core/abort.js';
import { abortError, type Clock } from '../../core/clock.js';
import type { SharedTier } from './tier.js';

export interface L2Result<V> {
  value: V;
  /** Set when the value came from L2: the local clock time it was fetched at (conservative). */
  fetchedAt?: number;
}

const ROUNDS = 2;

export async function refreshThroughL2<V>(
  tier: SharedTier<V>,
  clock: Clock,
  symbol: string,
  depth: number,
  /** How old an L2 book may be (ttl_ms, or less when a waiting caller asked for a younger book). */
  maxAgeMs: () => number,
  signal: AbortLike,
  refresh: () => Promise<V>,
): Promise<L2Result<V>> {
  if (tier.down) return { value: await refresh() };
  let r = await tier.read(symbol);
  if (r === undefined) return { value: await refresh() };
  let counted = false;
  for (let round = 0; ; round++) {
    if (signal.aborted) throw abortError(signal);
    if (r.value !== undefined && r.depth >= depth && clock.now() - r.fetchedAt <= maxAgeMs()) {
      tier.hit();
      return { value: r.value, fetchedAt: r.fetchedAt };
    }
    if (!counted) {
      tier.miss();
      counted = true;
    }
    if (round >= ROUNDS) {
      tier.leaseTimedOut();
      return { value: await refreshAndWrite(tier, clock, symbol, depth, r.epoch, refresh, false) };
    }
    const won = await tier.acquire(symbol);
    if (won === undefined) return { value: await refresh() };
    if (won) {
      // Double check: the previous holder may have written and released between our read and the lease.
      const now = await tier.read(symbol);
      if (now === undefined) {
        void tier.release(symbol);
        return { value: await refresh() };
      }
      if (now.value !== undefined && now.depth >= depth && clock.now() - now.fetchedAt <= maxAgeMs()) {
        void tier.release(symbol);
        tier.hit();
        return { value: now.value, fetchedAt: now.fetchedAt };
      }
      return { value: await refreshAndWrite(tier, clock, symbol, depth, now.epoch, refresh, true) };
    }
    await tier.waitWritten(symbol, tier.leaseMs, signal);
    if (signal.aborted) throw abortError(signal);
    const again = await tier.read(symbol);
    if (again === undefined) return { value: await refresh() };
    r = again;
  }
}

async function refreshAndWrite<V>(tier: SharedTier<V>, clock: Clock, symbol: string, depth: number, epoch: number, refresh: () => Promise<V>, leased: boolean): Promise<V> {
  let value: V;
  try {
    value = await refresh();
  } catch (err) {
    if (leased) void tier.release(symbol);
    throw err;
  }
  const done = clock.now();
  // In the background: the caller gets the book now; the write is epoch-fenced, then the lease is released.
  void tier.write(symbol, epoch, value, depth, clock.now() - done).then(() => (leased ? tier.release(symbol) : undefined));
  return value;
}
