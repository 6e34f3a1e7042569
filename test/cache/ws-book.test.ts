/** The ws_book policy against a scripted BookFeed (virtual time): semantics and fast-check invariants. */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { VirtualClock } from '../../src/core/clock.js';
import { CacheClosedError, ConfigError, RefreshError } from '../../src/core/errors.js';
import { mdCacheConfig, type MdCacheConfigInput } from '../../src/config/md-cache.js';
import { MDCache } from '../../src/cache/md-cache.js';
import type { InvalidationReason } from '../../src/cache/types.js';
import { ScriptedFeed, type Book } from './ws-feed.js';
import { flush, track } from './helpers.js';

function setup(patch: MdCacheConfigInput = {}) {
  const clock = new VirtualClock();
  const feed = new ScriptedFeed();
  let rest = 0;
  const cache = new MDCache<Book>(mdCacheConfig({ enabled: true, policy: 'ws_book', ...patch }), {
    clock,
    registry: null,
    refresh: () => (rest++, Promise.reject(new Error('ws_book never calls refresh'))),
    feed,
  });
  return { clock, feed, cache, rest: () => rest };
}

describe('policy ws_book', () => {
  it('needs a feed', () => {
    expect(() => new MDCache<Book>({ enabled: true, policy: 'ws_book' }, { clock: new VirtualClock(), registry: null, refresh: () => Promise.reject(new Error()) })).toThrow(ConfigError);
  });

  it('the first get subscribes and waits for the sync; then gets are fresh while the stream speaks', async () => {
    const { clock, feed, cache, rest } = setup();
    const p = track(cache.get('A'));
    const sub = feed.subs.get('A')!;
    await clock.advance(30);
    expect(p.settled).toBe(false);
    sub.doSync(clock.now());
    await flush();
    expect(p.value).toMatchObject({ status: 'miss', ageMs: 0, value: { sync: 1, seq: 0 } });
    await clock.advance(50);
    sub.message(clock.now());
    await clock.advance(20);
    const r = await cache.get('A');
    expect(r).toMatchObject({ status: 'fresh', ageMs: 20, value: { sync: 1, seq: 1 } });
    expect(rest()).toBe(0);
    expect(cache.stats()).toMatchObject({ gets: 2, hits: 1, misses: 1, refreshes: 1 });
  });

  it('silent past invalidate_on_ws_gap_ms: stale; past max_stale_ms: resync and wait (never served)', async () => {
    const { clock, feed, cache } = setup({ invalidate_on_ws_gap_ms: 300, max_stale_ms: 1000 });
    const p = cache.get('A');
    const sub = feed.subs.get('A')!;
    sub.doSync(0);
    await p;
    await clock.advance(301);
    expect((await cache.get('A')).status).toBe('stale');
    await clock.advance(700);
    const w = track(cache.get('A'));
    expect(sub.resyncs).toEqual(['ws_gap']);
    await flush();
    expect(w.settled).toBe(false);
    sub.doSync(clock.now());
    await flush();
    expect(w.value).toMatchObject({ status: 'miss', value: { sync: 2 } });
  });

  it('stale_ok false: a silent symbol waits for the next message', async () => {
    const { clock, feed, cache } = setup({ stale_ok: false });
    const p = cache.get('A');
    const sub = feed.subs.get('A')!;
    sub.doSync(0);
    await p;
    await clock.advance(400);
    const w = track(cache.get('A'));
    await flush();
    expect(w.settled).toBe(false);
    sub.message(clock.now());
    await flush();
    expect(w.value).toMatchObject({ status: 'miss', ageMs: 0, value: { seq: 1 } });
  });

  it('a lost book is never served again: gets wait for the resync; invalidate() resyncs instead of dropping', async () => {
    const { clock, feed, cache } = setup();
    const p = cache.get('A');
    const sub = feed.subs.get('A')!;
    sub.doSync(0);
    await p;
    sub.lose(clock.now(), 'seq_gap');
    expect(cache.peek('A')).toBeUndefined();
    const w = track(cache.get('A'));
    await flush();
    expect(w.settled).toBe(false);
    sub.doSync(clock.now());
    await flush();
    expect(w.value!.value.sync).toBe(2);
    cache.invalidateAll('reconnect');
    expect(sub.resyncs).toEqual(['reconnect']);
    expect(cache.stats().invalidations).toEqual({ seq_gap: 1, reconnect: 1 });
    expect(cache.stats('A').invalidations).toEqual({ seq_gap: 1, reconnect: 1 });
  });

  it('a get waiting longer than the retry budget gets a RefreshError; close rejects waiters and closes subscriptions', async () => {
    const { clock, feed, cache } = setup({ refresh_timeout_ms: 100, retry: { max_attempts: 2, base_ms: 10, max_ms: 50 } });
    const p = track(cache.get('A'));
    await clock.advance(100 * 2 + 50);
    await flush();
    expect(p.error).toBeInstanceOf(RefreshError);
    const q = track(cache.get('B'));
    cache.close();
    await flush();
    expect(q.error).toBeInstanceOf(RefreshError);
    expect(feed.subs.get('A')!.closed && feed.subs.get('B')!.closed).toBe(true);
    await expect(cache.get('A')).rejects.toBeInstanceOf(CacheClosedError);
    expect(clock.pending()).toBe(0);
  });

  it('LRU eviction closes the evicted symbol subscription', async () => {
    const { feed, cache } = setup({ max_symbols: 1 });
    const a = cache.get('A');
    feed.subs.get('A')!.doSync(0);
    await a;
    const b = cache.get('B');
    expect(feed.subs.get('A')!.closed).toBe(true);
    feed.subs.get('B')!.doSync(0);
    await b;
  });

  it('property: never served past max_stale_ms, never a book from before an invalidation, ages exact', async () => {
    const cmd = fc.oneof(
      fc.record({ t: fc.constant('get' as const), s: fc.integer({ min: 0, max: 1 }) }),
      fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 700 }) }),
      fc.record({ t: fc.constant('message' as const), s: fc.integer({ min: 0, max: 1 }) }),
      fc.record({ t: fc.constant('sync' as const), s: fc.integer({ min: 0, max: 1 }) }),
      fc.record({ t: fc.constant('lose' as const), s: fc.integer({ min: 0, max: 1 }) }),
      fc.record({ t: fc.constant('invalidate' as const), s: fc.integer({ min: 0, max: 1 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.integer({ min: 50, max: 500 }), fc.integer({ min: 0, max: 1500 }), fc.array(cmd, { maxLength: 60 }), async (staleOk, gap, extra, cmds) => {
        const { clock, feed, cache } = setup({ stale_ok: staleOk, invalidate_on_ws_gap_ms: gap, ttl_ms: 100, max_stale_ms: Math.max(100, gap + extra) });
        const cfg = cache.config;
        const SYM = ['A', 'B'];
        /** Per symbol: the sync number current at each invalidation (a book of an older sync must never be served after it). */
        const lostSync = new Map<string, number>();
        const served: Array<{ symbol: string; at: number; r: Promise<unknown> }> = [];
        const check = (symbol: string, b: Book, ageMs: number, status: string) => {
          expect(ageMs).toBeLessThanOrEqual(cfg.max_stale_ms);
          expect(ageMs).toBe(clock.now() - b.takenAt);
          if (status === 'fresh') expect(ageMs).toBeLessThanOrEqual(cfg.invalidate_on_ws_gap_ms);
          expect(b.sync).toBeGreaterThan(lostSync.get(symbol) ?? 0);
        };
        for (const c of cmds) {
          const symbol = SYM[(c as { s?: number }).s ?? 0]!;
          const sub = feed.subs.get(symbol);
          switch (c.t) {
            case 'get':
              served.push({
                symbol,
                at: clock.now(),
                r: cache.get(symbol).then(
                  (r) => check(symbol, r.value, r.ageMs, r.status),
                  (e: unknown) => expect(e).toBeInstanceOf(RefreshError),
                ),
              });
              break;
            case 'advance':
              await clock.advance(c.ms);
              break;
            case 'message':
              sub?.message(clock.now());
              break;
            case 'sync':
              if (sub && !sub.synced) sub.doSync(clock.now());
              break;
            case 'lose':
              if (sub?.synced) {
                lostSync.set(symbol, sub.sync);
                sub.lose(clock.now(), 'crossed');
              }
              break;
            case 'invalidate':
              if (sub?.synced) lostSync.set(symbol, sub.sync);
              cache.invalidate(symbol, 'manual');
              break;
          }
          await flush();
        }
        await clock.runUntilIdle();
        await Promise.all(served.map((s) => s.r));
        const st = cache.stats();
        expect(st.hits + st.staleHits + st.misses).toBe(st.gets);
        cache.close();
      }),
      { numRuns: 150 },
    );
  });
});
