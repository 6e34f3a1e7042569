/** The cache policies of issue #11 §2: ttl (default), refresh_ahead (ws_book has its own file). */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { flush, setup } from './helpers.js';

describe('policy refresh_ahead', () => {
  it('a fresh entry older than refresh_ahead_ms is served fresh and starts one background refresh', async () => {
    const { clock, refresh, cache } = setup({ policy: 'refresh_ahead', ttl_ms: 100, refresh_ahead_ms: 60 }, { autoMs: 10 });
    const p = cache.get('A');
    await clock.advance(10);
    await p;
    await clock.advance(60);
    expect((await cache.get('A')).status).toBe('fresh'); // age 60: not yet past refresh_ahead_ms
    expect(refresh.count()).toBe(1);
    await clock.advance(1);
    const r = await cache.get('A'); // age 61 > 60: fresh, and one refresh starts
    expect(r).toMatchObject({ status: 'fresh', ageMs: 61 });
    expect(refresh.count()).toBe(2);
    expect((await cache.get('A')).status).toBe('fresh');
    expect(refresh.count()).toBe(2); // one in flight: no second
    await clock.advance(10);
    await flush();
    const after = await cache.get('A');
    expect(after).toMatchObject({ status: 'fresh', ageMs: 0 });
    expect(after.value.call).toBe(2);
  });

  it('the default refresh_ahead_ms is 0.8 × ttl_ms', async () => {
    const { clock, refresh, cache } = setup({ policy: 'refresh_ahead', ttl_ms: 100 }, { autoMs: 0 });
    const p = cache.get('A');
    await clock.advance(0);
    await p;
    await clock.advance(80);
    await cache.get('A');
    expect(refresh.count()).toBe(1);
    await clock.advance(1);
    await cache.get('A');
    expect(refresh.count()).toBe(2);
  });

  it('ttl (the default) never refreshes a fresh entry', async () => {
    const { clock, refresh, cache } = setup({ ttl_ms: 100 }, { autoMs: 0 });
    const p = cache.get('A');
    await clock.advance(0);
    await p;
    await clock.advance(99);
    await cache.get('A');
    expect(refresh.count()).toBe(1);
  });

  it('property: with steady traffic (gets more often than ttl − refresh_ahead − refresh latency), every get after the first is fresh', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 50, max: 400 }), fc.double({ min: 0.3, max: 0.9, noNaN: true }), fc.integer({ min: 1, max: 10 }), async (ttl, frac, lat) => {
        const ahead = Math.max(1, Math.floor(ttl * frac));
        const gap = Math.max(1, Math.floor((ttl - ahead - lat) / 2));
        const { clock, cache } = setup({ policy: 'refresh_ahead', ttl_ms: ttl, refresh_ahead_ms: ahead, max_stale_ms: ttl * 10 }, { autoMs: lat });
        const first = cache.get('A');
        await clock.advance(lat);
        await first;
        for (let i = 0; i < 40; i++) {
          await clock.advance(gap);
          const r = await cache.get('A');
          expect(r.status).toBe('fresh');
          expect(r.ageMs).toBeLessThanOrEqual(ttl);
        }
        cache.close();
      }),
      { numRuns: 40 },
    );
  });
});

describe('getSync', () => {
  it('serves fresh and stale entries without a promise, counts like get, and starts the refresh get would', async () => {
    const { clock, refresh, cache } = setup({ ttl_ms: 100, max_stale_ms: 1000 }, { autoMs: 10 });
    expect(cache.getSync('A')).toBeUndefined(); // miss: starts the refresh
    expect(refresh.count()).toBe(1);
    expect(cache.getSync('A')).toBeUndefined(); // refresh in flight: no second
    expect(refresh.count()).toBe(1);
    await clock.advance(10);
    await flush();
    expect(cache.getSync('A')).toMatchObject({ status: 'fresh', ageMs: 0, value: { call: 1 } });
    await clock.advance(150);
    expect(cache.getSync('A')).toMatchObject({ status: 'stale', ageMs: 150 }); // stale-while-refresh
    expect(refresh.count()).toBe(2);
    await clock.advance(2000);
    await flush();
    await clock.advance(1100);
    expect(cache.getSync('A')).toBeUndefined(); // past max_stale_ms: never served
    expect(cache.stats()).toMatchObject({ gets: 5, hits: 1, staleHits: 1, misses: 3 });
  });

  it('refresh_ahead applies to getSync; stale_ok false serves nothing expired; deeper than held is a miss', async () => {
    const { clock, refresh, cache } = setup({ policy: 'refresh_ahead', ttl_ms: 100, refresh_ahead_ms: 50, stale_ok: false, max_depth: 50 }, { autoMs: 0 });
    const p = cache.get('A', { depth: 10 });
    await clock.advance(0);
    await p;
    await clock.advance(60);
    expect(cache.getSync('A', { depth: 5 })?.status).toBe('fresh');
    expect(refresh.count()).toBe(2);
    expect(cache.getSync('A', { depth: 20 })).toBeUndefined();
    await clock.advance(0);
    await flush();
    await clock.advance(500);
    expect(cache.getSync('A', { depth: 5 })).toBeUndefined();
  });
});
