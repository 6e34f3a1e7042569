/**
 * A server's Retry-After longer than the retry budget (retry.max_ms): a 418 ban or a long 429 fails the refresh
 * at once — no waiting it out, no further attempt — and no refresh of any symbol is called until it has run
 * out (requests during a ban lengthen it on Binance; during a 429's Retry-After they get the client banned).
 * Callers get a stale book within max_stale_ms, else a RefreshError. Virtual time throughout.
 */
import { describe, it, expect } from 'vitest';
import { RefreshError, RetryAfterError } from '../../src/core/errors.js';
import { flush, setup, track } from './helpers.js';

/** An HTTP 418 as the REST sources report it: an error carrying the Retry-After in ms. */
const ban = (ms: number): Error => Object.assign(new Error(`HTTP 418, Retry-After ${ms} ms`), { retryAfterMs: ms, status: 418 });

describe('a Retry-After beyond retry.max_ms fails fast and holds every refresh back', () => {
  it('a 418 ban: the waiting caller gets a RefreshError at once (one attempt of three), caused by the 418', async () => {
    const { clock, refresh, cache } = setup({ retry: { max_attempts: 3, base_ms: 10, max_ms: 200 } }, { autoMs: undefined });
    const p = track(cache.get('A'));
    await clock.advance(5);
    refresh.calls[0]!.reject(ban(120_000));
    await flush();
    expect(p.error).toBeInstanceOf(RefreshError);
    expect((p.error as RefreshError).attempts).toBe(1);
    expect(((p.error as RefreshError).cause as Error).message).toMatch(/418/);
    expect(clock.now()).toBe(5); // nothing waited
    expect(clock.pending()).toBe(0); // no retry scheduled
    expect(cache.stats()).toMatchObject({ refreshes: 1, refreshFailures: 1, misses: 1 });
  });

  it('during the ban no refresh of any symbol is called; a get is a RefreshError (RetryAfterError) unless a stale book is within max_stale_ms', async () => {
    const { clock, refresh, cache } = setup({ ttl_ms: 100, stale_ok: true, max_stale_ms: 1000, retry: { max_attempts: 3, base_ms: 10, max_ms: 200 } }, { autoMs: undefined });
    // A and B are cached at t = 10
    const a0 = cache.get('A');
    const b0 = cache.get('B');
    await clock.advance(10);
    for (const c of refresh.pending()) c.resolve();
    expect((await a0).status).toBe('miss');
    expect((await b0).status).toBe('miss');
    // at t = 200 A's background refresh is answered by a 418 (2 min)
    await clock.advanceTo(200);
    expect((await cache.get('A')).status).toBe('stale');
    refresh.pending('A')[0]!.reject(ban(120_000));
    await flush();
    const calls = refresh.count();
    // within max_stale_ms: stale books of both symbols, no refresh called
    await clock.advanceTo(900);
    expect((await cache.get('A')).status).toBe('stale');
    expect((await cache.get('B')).status).toBe('stale');
    expect(cache.getSync('B')?.status).toBe('stale');
    // beyond max_stale_ms, and a symbol never fetched: RefreshError at once, caused by the hold
    await clock.advanceTo(1500);
    for (const s of ['A', 'B', 'C']) {
      const err = await cache.get(s).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RefreshError);
      expect((err as RefreshError).cause).toBeInstanceOf(RetryAfterError);
      expect(((err as RefreshError).cause as RetryAfterError).retryAfterMs).toBe(200 + 120_000 - 1500);
    }
    expect(cache.getSync('C')).toBeUndefined();
    await clock.advanceTo(200 + 120_000 - 201);
    await expect(cache.get('A')).rejects.toBeInstanceOf(RefreshError);
    expect(refresh.count()).toBe(calls); // not one refresh call during the ban
    expect(clock.pending()).toBe(0);
    // held-back gets are misses, not refresh failures (nothing was called)
    expect(cache.stats()).toMatchObject({ refreshes: calls, refreshFailures: 1 });
    // 200 ms left (= retry.max_ms): within the retry budget, a get waits the rest of the ban, then calls refresh
    await clock.advance(1);
    const p = cache.get('A');
    await clock.advance(199);
    expect(refresh.count()).toBe(calls);
    await clock.advance(1);
    expect(refresh.count()).toBe(calls + 1);
    expect(refresh.calls[calls]!.startedAt).toBe(200 + 120_000);
    refresh.pending('A')[0]!.resolve();
    expect((await p).status).toBe('miss');
  });

  it('stale_ok false: a caller waiting during the ban is served the held book within max_stale_ms (stale-if-error)', async () => {
    const { clock, refresh, cache } = setup({ ttl_ms: 100, stale_ok: false, max_stale_ms: 1000, retry: { max_attempts: 3, base_ms: 10, max_ms: 200 } }, { autoMs: undefined });
    const a0 = cache.get('A');
    await clock.advance(10);
    refresh.calls[0]!.resolve();
    await a0;
    await clock.advanceTo(300);
    const p = track(cache.get('A'));
    refresh.calls[1]!.reject(ban(60_000));
    await flush();
    expect(p.value?.status).toBe('stale');
    await clock.advanceTo(600);
    expect((await cache.get('A')).status).toBe('stale'); // held back, stale-if-error
    expect(refresh.count()).toBe(2);
  });

  it('a 429 whose Retry-After is within retry.max_ms is still waited out and retried', async () => {
    const { clock, refresh, cache } = setup({ retry: { max_attempts: 3, base_ms: 10, max_ms: 1000 } }, { autoMs: undefined, random: () => 0 });
    const p = track(cache.get('A'));
    refresh.calls[0]!.reject(Object.assign(new Error('HTTP 429'), { retryAfterMs: 1000, status: 429 }));
    await clock.advance(999);
    expect(refresh.count()).toBe(1);
    await clock.advance(1);
    expect(refresh.count()).toBe(2);
    refresh.calls[1]!.resolve();
    await flush();
    expect(p.value?.status).toBe('miss');
  });

  it('a long 429 fails fast too; a get when less than retry.max_ms of the hold is left waits the rest, then calls refresh', async () => {
    const { clock, refresh, cache } = setup({ retry: { max_attempts: 3, base_ms: 10, max_ms: 200 } }, { autoMs: undefined, random: () => 0 });
    const p = track(cache.get('A'));
    refresh.calls[0]!.reject(Object.assign(new Error('HTTP 429'), { retryAfterMs: 1000, status: 429 }));
    await flush();
    expect(p.error).toBeInstanceOf(RefreshError);
    await clock.advanceTo(900); // 100 ms of the hold left (≤ max_ms 200): within the retry budget
    const q = track(cache.get('B'));
    await clock.advance(99);
    expect(refresh.count()).toBe(1);
    await clock.advance(1);
    expect(refresh.count()).toBe(2);
    expect(refresh.calls[1]!.symbol).toBe('B');
    refresh.calls[1]!.resolve();
    await flush();
    expect(q.value?.status).toBe('miss');
  });

  it('hedged runners: a ban on one fails the whole load; the hedge in flight is aborted and no further call is made', async () => {
    const { clock, refresh, cache } = setup({ max_inflight_refresh: 2, hedge_after_ms: 20, retry: { max_attempts: 3, base_ms: 10, max_ms: 200 } }, { autoMs: undefined });
    const p = track(cache.get('A'));
    await clock.advance(20);
    expect(refresh.count()).toBe(2); // primary + hedge
    refresh.calls[0]!.reject(ban(120_000));
    await flush();
    expect(p.error).toBeInstanceOf(RefreshError);
    expect(refresh.calls[1]!.signal.aborted).toBe(true);
    await clock.advance(1000);
    expect(refresh.count()).toBe(2);
  });
});
