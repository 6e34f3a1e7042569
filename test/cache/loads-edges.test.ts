/**
 * Loads, runners, hedges and retries of MDCache at their edges (virtual time, refresh calls settled by hand):
 * hedge_after_ms 0, the hedge count and spacing, hedges never preempting a retired load, the attempt budget
 * shared with hedges (a runner back from backoff finds it spent), a runner failing while its twin still runs,
 * a lost hedge race is no failure, Retry-After at exactly retry.max_ms, a refresh throwing synchronously,
 * stale-if-error (counted per symbol, at exactly max_stale_ms, never without a value), a retired load's
 * entry evictable once its refresh ends, and a waiter's maxAgeMs bounding how old an L2 book may be.
 */
import { describe, it, expect } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import { RefreshError } from '../../src/core/errors.js';
import { MDCache } from '../../src/cache/md-cache.js';
import { setup, track, flush } from './helpers.js';
import { simFleet } from './shared/sim-fleet.js';

describe('hedges', () => {
  it('hedge_after_ms 0 never hedges, however slow the refresh', async () => {
    const { clock, refresh, cache } = setup({ max_inflight_refresh: 3, hedge_after_ms: 0, refresh_timeout_ms: 10_000 }, { autoMs: undefined });
    void cache.get('A');
    await clock.advance(5000);
    expect(refresh.count()).toBe(1);
  });

  it('one hedge every hedge_after_ms up to max_inflight_refresh calls in all, then no timer is left', async () => {
    const { clock, refresh, cache } = setup({ max_inflight_refresh: 3, hedge_after_ms: 20, refresh_timeout_ms: 10_000, retry: { max_attempts: 5 } }, { autoMs: undefined });
    const g = track(cache.get('A'));
    await clock.advance(19);
    expect(refresh.count()).toBe(1);
    await clock.advance(1);
    expect(refresh.count()).toBe(2);
    await clock.advance(20);
    expect(refresh.calls.map((c) => c.startedAt)).toEqual([0, 20, 40]);
    await clock.advance(200);
    expect(refresh.count()).toBe(3);
    expect(clock.pending()).toBe(3); // the three calls' timeouts only: no hedge timer re-armed
    refresh.calls[2]!.resolve();
    await flush();
    expect(g.value?.value.call).toBe(3);
  });

  it('a hedge never preempts a retired (pre-invalidation) load that still has a caller', async () => {
    const { clock, refresh, cache } = setup({ max_inflight_refresh: 2, hedge_after_ms: 20, refresh_timeout_ms: 10_000 }, { autoMs: undefined });
    const old = track(cache.get('A'));
    await clock.advance(1);
    cache.invalidate('A'); // call 1's load is retired (its caller still waits for it)
    const now = track(cache.get('A')); // call 2: the second slot
    await clock.advance(100);
    expect(refresh.count()).toBe(2); // no hedge: both slots are taken
    expect(refresh.calls[0]!.signal.aborted).toBe(false);
    refresh.calls[0]!.resolve();
    refresh.calls[1]!.resolve();
    await flush();
    expect(old.value?.value.call).toBe(1);
    expect(now.value?.value.call).toBe(2);
  });

  it('a runner back from its backoff finds the attempts spent by a hedge and stops; the hedge still serves', async () => {
    // max_attempts 2: call 1 fails at 5 and backs off (0.5 × 100 ms); the hedge (call 2) starts at 20 and takes the last attempt
    const { clock, refresh, cache } = setup({ max_inflight_refresh: 2, hedge_after_ms: 20, refresh_timeout_ms: 10_000, retry: { max_attempts: 2, base_ms: 100, max_ms: 100 } }, { autoMs: undefined });
    const g = track(cache.get('A'));
    await clock.advance(5);
    refresh.calls[0]!.reject();
    await clock.advance(15);
    expect(refresh.count()).toBe(2);
    await clock.advance(100); // call 1's runner woke at 55: no attempt left, no third call
    expect(refresh.count()).toBe(2);
    expect(g.settled).toBe(false);
    refresh.calls[1]!.resolve();
    await flush();
    expect(g.value).toMatchObject({ status: 'miss', value: { call: 2 } });
  });

  it('a runner out of attempts while its twin still runs does not fail the load', async () => {
    const { clock, refresh, cache } = setup({ max_inflight_refresh: 2, hedge_after_ms: 20, refresh_timeout_ms: 10_000, retry: { max_attempts: 2, base_ms: 1, max_ms: 1 } }, { autoMs: undefined });
    const g = track(cache.get('A'));
    await clock.advance(20); // calls 1 and 2 in flight: the budget is spent
    refresh.calls[0]!.reject();
    await clock.advance(10);
    expect(g.settled).toBe(false);
    refresh.calls[1]!.resolve();
    await flush();
    expect(g.value).toMatchObject({ status: 'miss', value: { call: 2 } });
    expect(cache.stats()).toMatchObject({ refreshes: 2, refreshFailures: 1 });
  });

  it('the loser of a hedge race is not counted as a failure', async () => {
    const { clock, refresh, cache } = setup({ max_inflight_refresh: 2, hedge_after_ms: 20, refresh_timeout_ms: 10_000 }, { autoMs: undefined });
    const g = track(cache.get('A'));
    await clock.advance(20);
    refresh.calls[1]!.resolve();
    await clock.advance(10);
    expect(g.value?.value.call).toBe(2);
    expect(refresh.calls[0]!.signal.aborted).toBe(true);
    expect(cache.stats()).toMatchObject({ refreshes: 2, refreshFailures: 0 });
    expect(cache.stats('A')).toMatchObject({ refreshes: 2, refreshFailures: 0 });
  });
});

describe('retries', () => {
  it('a Retry-After of exactly retry.max_ms is waited out by that symbol only: no hold on other symbols', async () => {
    const { clock, refresh, cache } = setup({ refresh_timeout_ms: 10_000, retry: { max_attempts: 3, base_ms: 1, max_ms: 100 } }, { autoMs: undefined });
    const a = track(cache.get('A'));
    await clock.advance(1);
    refresh.calls[0]!.reject(Object.assign(new Error('HTTP 429'), { retryAfterMs: 100, status: 429 }));
    await flush();
    void cache.get('B');
    await clock.advance(1);
    expect(refresh.calls.map((c) => [c.symbol, c.startedAt])).toEqual([
      ['A', 0],
      ['B', 1],
    ]);
    await clock.advance(99); // A's retry after exactly 100 ms
    expect(refresh.calls.map((c) => [c.symbol, c.startedAt])).toEqual([
      ['A', 0],
      ['B', 1],
      ['A', 101],
    ]);
    refresh.calls[2]!.resolve();
    await flush();
    expect(a.value?.value.call).toBe(3);
  });

  it('a refresh that throws synchronously is a failed attempt; the caller gets a RefreshError carrying what it threw', async () => {
    const clock = new VirtualClock();
    const boom = new Error('sync boom');
    let calls = 0;
    const cache = new MDCache<{ n: number }>(
      { enabled: true, retry: { max_attempts: 2, base_ms: 1, max_ms: 1 } },
      {
        clock,
        registry: null,
        random: () => 0.5,
        refresh: () => {
          calls++;
          throw boom;
        },
      },
    );
    const g = track(cache.get('A'));
    await clock.advance(10);
    expect(calls).toBe(2);
    expect(g.error).toBeInstanceOf(RefreshError);
    expect((g.error as RefreshError).cause).toBe(boom);
    expect((g.error as RefreshError).attempts).toBe(2);
  });
});

describe('stale-if-error', () => {
  it('a caller waiting on a failing refresh gets the expired value (counted as a stale hit of that symbol)', async () => {
    const { clock, refresh, cache } = setup({ stale_ok: false, ttl_ms: 10, max_stale_ms: 1000, refresh_timeout_ms: 10_000, retry: { max_attempts: 3, base_ms: 50, max_ms: 50 } }, { autoMs: undefined });
    void cache.get('A');
    refresh.calls[0]!.resolve();
    await flush();
    await clock.advance(20);
    const g = track(cache.get('A'));
    refresh.calls[1]!.reject();
    await flush();
    expect(g.value).toMatchObject({ status: 'stale', ageMs: 20, value: { call: 1 } });
    expect(cache.stats('A')).toMatchObject({ staleHits: 1, misses: 1, hits: 0 });
    expect(cache.stats().staleHits).toBe(1);
  });

  it('stale-if-error serves a value exactly max_stale_ms old, not one older', async () => {
    for (const age of [1000, 1001]) {
      const { clock, refresh, cache } = setup({ stale_ok: false, ttl_ms: 10, max_stale_ms: 1000, refresh_timeout_ms: 10_000, retry: { max_attempts: 3, base_ms: 50, max_ms: 50 } }, { autoMs: undefined });
      void cache.get('A');
      refresh.calls[0]!.resolve();
      await flush();
      await clock.advance(age);
      const g = track(cache.get('A'));
      refresh.calls[1]!.reject();
      await flush();
      if (age === 1000) expect(g.value).toMatchObject({ status: 'stale', ageMs: 1000 });
      else expect(g.settled).toBe(false);
    }
  });

  it('without a value held, a failing first refresh serves nothing stale: the caller waits for the retries', async () => {
    const { clock, refresh, cache } = setup({ stale_ok: false, max_stale_ms: 1000, refresh_timeout_ms: 10_000, retry: { max_attempts: 2, base_ms: 50, max_ms: 50 } }, { autoMs: undefined });
    const g = track(cache.get('A'));
    await clock.advance(1);
    refresh.calls[0]!.reject();
    await flush();
    expect(g.settled).toBe(false);
    await clock.advance(30);
    refresh.calls[1]!.resolve();
    await flush();
    expect(g.value).toMatchObject({ status: 'miss', value: { call: 2 } });
  });
});

describe('retired loads', () => {
  it('once a retired load\'s refresh ends its entry can be evicted again', async () => {
    const { clock, refresh, cache } = setup({ max_symbols: 1, refresh_timeout_ms: 10_000 }, { autoMs: undefined });
    const old = track(cache.get('A'));
    await clock.advance(1);
    cache.invalidate('A'); // retired with its caller
    refresh.calls[0]!.resolve();
    await flush();
    expect(old.value?.value.call).toBe(1);
    void cache.get('B');
    expect(cache.size).toBe(1);
    expect(cache.stats().evictions).toBe(1);
    expect(cache.peek('A')).toBeUndefined();
  });
});

describe('with a shared tier', () => {
  it('a caller\'s maxAgeMs bounds how old an L2 book may be; an L2 hit records no refresh latency', async () => {
    const { clock, procs, restCalls } = simFleet(2, { ttl_ms: 100 });
    void procs[0]!.cache.get('A'); // REST at 0–10, written to L2
    await clock.advance(50);
    const strict = track(procs[1]!.cache.get('A', { maxAgeMs: 20 }));
    await clock.advance(20);
    expect(strict.value?.status).toBe('miss'); // the L2 book was ~40 ms old: refreshed by REST
    expect(restCalls()).toBe(2);
    await clock.advance(30);
    const lax = track(procs[0]!.cache.get('B'));
    await clock.advance(20);
    expect(lax.value?.status).toBe('miss');
    const hit = track(procs[1]!.cache.get('B', { maxAgeMs: 90 }));
    await clock.advance(5);
    expect(hit.value?.status).toBe('fresh'); // from L2
    expect(restCalls()).toBe(3);
    expect(procs[1]!.cache.stats('B').refreshLatencyMs).toEqual({ p50: 0, p95: 0, p99: 0, max: 0 });
  });
});
