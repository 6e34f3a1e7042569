/**
 * ws_book and invalidation at their edges (virtual time, scripted feed): default invalidation reasons, the
 * age bounds (exactly invalidate_on_ws_gap_ms fresh, exactly max_stale_ms stale), per-symbol counters, LRU
 * order of ws_book entries, peek re-reading the book, stream events out of order or before the sync, failed
 * syncs counted in the waiting caller's error, events for evicted entries or after close ignored, and peek /
 * invalidate after close.
 */
import { describe, it, expect } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import { RefreshError } from '../../src/core/errors.js';
import { mdCacheConfig, type MdCacheConfigInput } from '../../src/config/md-cache.js';
import { MDCache } from '../../src/cache/md-cache.js';
import { ScriptedFeed, type Book } from './ws-feed.js';
import { flush, setup as restSetup, track } from './helpers.js';

function setup(patch: MdCacheConfigInput = {}) {
  const clock = new VirtualClock();
  const feed = new ScriptedFeed();
  const cache = new MDCache<Book>(mdCacheConfig({ enabled: true, policy: 'ws_book', ...patch }), {
    clock,
    registry: null,
    refresh: () => Promise.reject(new Error('ws_book never calls refresh')),
    feed,
  });
  return { clock, feed, cache };
}

describe('invalidation reasons', () => {
  it('invalidate() counts as manual, invalidateAll() as all, one per held symbol', async () => {
    const { clock, cache } = restSetup();
    void cache.get('A');
    void cache.get('B');
    await clock.advance(20);
    cache.invalidate('A');
    expect(cache.stats().invalidations).toEqual({ manual: 1 });
    cache.invalidateAll();
    expect(cache.stats().invalidations).toEqual({ manual: 1, all: 2 });
  });
});

describe('ws_book edges', () => {
  it('fresh at exactly invalidate_on_ws_gap_ms, stale at exactly max_stale_ms (counted per symbol)', async () => {
    const { clock, feed, cache } = setup({ invalidate_on_ws_gap_ms: 300, max_stale_ms: 1000, stale_ok: true });
    const p = cache.get('A');
    feed.subs.get('A')!.doSync(0);
    await p;
    await clock.advance(300);
    expect(await cache.get('A')).toMatchObject({ status: 'fresh', ageMs: 300 });
    await clock.advance(700);
    expect(await cache.get('A')).toMatchObject({ status: 'stale', ageMs: 1000 });
    expect(cache.stats('A')).toMatchObject({ hits: 1, staleHits: 1, misses: 1 });
  });

  it('gets keep ws_book entries in LRU order: the least recently got symbol is evicted (its stream closed)', async () => {
    const { feed, cache } = setup({ max_symbols: 2 });
    void cache.get('A').catch(() => {});
    void cache.get('B').catch(() => {});
    for (const s of ['A', 'B']) feed.subs.get(s)!.doSync(0);
    await flush();
    await cache.get('A'); // A is now the most recent
    void cache.get('C').catch(() => {});
    expect(feed.subs.get('B')!.closed).toBe(true);
    expect(feed.subs.get('A')!.closed).toBe(false);
    expect(cache.peek('A')).toBeDefined();
  });

  it('peek re-reads the book after stream messages; after close it still answers the last book read', async () => {
    const { clock, feed, cache } = setup();
    const p = cache.get('A');
    const sub = feed.subs.get('A')!;
    sub.doSync(0);
    expect((await p).value.seq).toBe(0);
    await clock.advance(10);
    sub.message(10);
    expect(cache.peek('A')).toEqual({ value: { symbol: 'A', sync: 1, seq: 1, takenAt: 10 }, ageMs: 0 });
    sub.message(10);
    expect((await cache.get('A')).value.seq).toBe(2);
    sub.message(10); // not read before close
    cache.close();
    expect(cache.peek('A')?.value.seq).toBe(2);
    expect(() => cache.invalidate('A')).not.toThrow();
  });

  it('a message before the sync is ignored (a waiting caller keeps waiting); a message stamped earlier than the book never makes it look older', async () => {
    const { clock, feed, cache } = setup();
    const w = track(cache.get('A'));
    const sub = feed.subs.get('A')!;
    sub.listener({ type: 'message', t: 5 });
    await flush();
    expect(w.settled).toBe(false);
    await clock.advance(100);
    sub.doSync(100);
    await flush();
    expect(w.value).toMatchObject({ status: 'miss', ageMs: 0 });
    sub.listener({ type: 'message', t: 50 }); // applied late, stamped earlier
    expect(cache.peek('A')?.ageMs).toBe(0);
    expect((await cache.get('A')).ageMs).toBe(0);
  });

  it('a resync stamps the book with its own time even when that is earlier than the last message', async () => {
    const { clock, feed, cache } = setup();
    const p = cache.get('A');
    const sub = feed.subs.get('A')!;
    sub.doSync(0);
    await p;
    await clock.advance(200);
    sub.message(200);
    sub.lose(210, 'gap');
    await clock.advance(10);
    const w = track(cache.get('A'));
    sub.doSync(150); // a snapshot taken at 150
    await flush();
    expect(w.value).toMatchObject({ status: 'miss', ageMs: 60 });
  });

  it('failed syncs during a wait are the attempts in the caller\'s RefreshError (not those before it); they count as refresh failures', async () => {
    const { clock, feed, cache } = setup({ refresh_timeout_ms: 100, retry: { max_attempts: 1 } });
    void cache.get('A').catch(() => {});
    const sub = feed.subs.get('A')!;
    sub.listener({ type: 'sync_failed', t: 0, error: new Error('snapshot 1') });
    await clock.advance(100); // the first caller timed out
    const w = track(cache.get('A'));
    sub.listener({ type: 'sync_failed', t: 110, error: new Error('snapshot 2') });
    sub.listener({ type: 'sync_failed', t: 120, error: new Error('snapshot 3') });
    await clock.advance(100);
    expect(w.error).toBeInstanceOf(RefreshError);
    expect((w.error as RefreshError).attempts).toBe(2);
    expect(cache.stats()).toMatchObject({ refreshFailures: 3, misses: 2 });
    expect(cache.stats('A').refreshFailures).toBe(3);
  });

  it('events of an evicted symbol and events after close change nothing', async () => {
    const { feed, cache } = setup({ max_symbols: 1 });
    const p = cache.get('A');
    const a = feed.subs.get('A')!;
    a.doSync(0);
    await p;
    void cache.get('B').catch(() => {}); // evicts A (no caller waits on it)
    expect(a.closed).toBe(true);
    a.doSync(5);
    expect(cache.stats().refreshes).toBe(1);
    const b = feed.subs.get('B')!;
    cache.close();
    b.doSync(0);
    expect(cache.stats().refreshes).toBe(1);
    expect(cache.peek('B')).toBeUndefined();
  });

  it('a caller waiting at close gets a RefreshError and counts as a miss of its symbol', async () => {
    const { feed, cache } = setup();
    const w = track(cache.get('A'));
    cache.close();
    await flush();
    expect(w.error).toBeInstanceOf(RefreshError);
    expect(feed.subs.get('A')!.closed).toBe(true);
    expect(cache.stats('A')).toMatchObject({ gets: 1, misses: 1 });
  });
});
