/**
 * The shared tier's semantics on the simulated store, in virtual time: L2 hits, one REST refresh per symbol
 * across the fleet, fleet-wide invalidation fenced by epochs, a dead lease holder, and outages (fallback to
 * L1-only, recovery, resync) without an error reaching a caller.
 */
import { describe, it, expect } from 'vitest';
import { simFleet } from './sim-fleet.js';
import { track } from '../helpers.js';

describe('shared tier (simulated store)', () => {
  it('a book fetched by one process is an L2 hit (status fresh) in another, without a REST call', async () => {
    const { clock, procs, restCalls } = simFleet(2, { ttl_ms: 100 });
    const a = track(procs[0]!.cache.get('BTC'));
    await clock.advance(20);
    expect(a.value?.status).toBe('miss');
    expect(restCalls()).toBe(1);
    const b = track(procs[1]!.cache.get('BTC'));
    await clock.advance(5);
    expect(b.value?.status).toBe('fresh');
    expect(b.value?.value.call).toBe(1);
    expect(b.value!.ageMs).toBeGreaterThan(0);
    expect(restCalls()).toBe(1);
    const s = procs[1]!.cache.stats();
    expect(s.shared?.l2Hits).toBe(1);
    expect(s.hits).toBe(1);
    expect(s.refreshes).toBe(0);
  });

  it('simultaneous misses in 6 processes make one REST call; the others wait for the lease holder', async () => {
    const { clock, procs, restCalls } = simFleet(6, { ttl_ms: 100, stale_ok: false });
    const gets = procs.map((p) => track(p.cache.get('ETH')));
    await clock.advance(40);
    expect(gets.every((g) => g.settled && g.error === undefined)).toBe(true);
    expect(restCalls()).toBe(1);
    const waits = procs.reduce((n, p) => n + p.tier.stats().leaseWaits, 0);
    expect(waits).toBe(5);
  });

  it('over many TTL periods the fleet refreshes each symbol about once per period', async () => {
    const { clock, procs, restCalls } = simFleet(8, { ttl_ms: 100, max_stale_ms: 1000 });
    const symbols = ['A', 'B', 'C'];
    for (let t = 0; t < 5000; t += 7) {
      for (const p of procs) for (const s of symbols) void p.cache.get(s);
      await clock.advance(7);
    }
    // 5 s / 100 ms = 50 periods per symbol; the refresh itself (10 ms) stretches a period a little.
    for (const s of symbols) {
      expect(restCalls(s)).toBeGreaterThanOrEqual(40);
      expect(restCalls(s)).toBeLessThanOrEqual(51);
    }
  });

  it('an invalidation reaches every process, and a refresh begun before it never fills L2', async () => {
    const { clock, procs, server } = simFleet(3, { ttl_ms: 1000, max_stale_ms: 2000, stale_ok: false }, { refreshMs: 50 });
    track(procs[0]!.cache.get('X'));
    await Promise.resolve();
    await clock.advance(60);
    await clock.advance(2);
    void procs[1]!.cache.get('X');
    await clock.advance(2);
    expect(procs[1]!.cache.peek('X')).toBeDefined();
    // process 2 starts a refresh (it has nothing, and L2 is wiped by the invalidation below first)
    procs[0]!.cache.invalidate('X');
    await clock.advance(2);
    expect(procs[1]!.cache.peek('X')).toBeUndefined();
    const g = track(procs[2]!.cache.get('X'));
    await clock.advance(1);
    // a second invalidation while process 2's REST call is in flight
    procs[1]!.cache.invalidate('X');
    await clock.advance(100);
    expect(g.value?.status).toBe('miss'); // the waiting caller still gets its result
    expect(procs.reduce((n, p) => n + p.tier.stats().writesRefused, 0)).toBe(1);
    expect(procs[2]!.cache.peek('X')).toBeUndefined(); // not kept: it predates the invalidation
    expect(server.read('X').book).toBeUndefined();
  });

  it('a lease holder that never answers (dead) blocks others until its lease expires, not longer', async () => {
    const { clock, procs, restCalls } = simFleet(2, { ttl_ms: 100, stale_ok: false, refresh_timeout_ms: 5000, retry: { max_attempts: 1 } }, { leaseMs: 100 });
    procs[0]!.refresh.autoMs = undefined; // process 0's REST call hangs
    void procs[0]!.cache.get('Z').catch(() => {});
    await clock.advance(1);
    const g = track(procs[1]!.cache.get('Z'));
    await clock.advance(90);
    expect(g.settled).toBe(false); // waiting on the lease (100 ms)
    expect(restCalls('Z')).toBe(1);
    await clock.advance(30); // lease expired at 100: process 1 takes it and refreshes (10 ms)
    expect(g.value?.status).toBe('miss');
    expect(restCalls('Z')).toBe(2);
  });

  it('an outage: callers never see an error, books stay within max_stale_ms, the tier falls back and recovers', async () => {
    const faults = { outages: [{ at_ms: 1000, for_ms: 2000, mode: 'hang' as const, restart: true }], slow: [] };
    const { clock, procs, restCalls } = simFleet(4, { ttl_ms: 100, max_stale_ms: 300 }, { faults, resetMs: 200 });
    const errors: unknown[] = [];
    let worstAge = 0;
    for (let t = 0; t < 5000; t += 10) {
      for (const p of procs)
        p.cache.get('S').then(
          (r) => (worstAge = Math.max(worstAge, r.ageMs)),
          (e: unknown) => errors.push(e),
        );
      await clock.advance(10);
    }
    expect(errors).toEqual([]);
    expect(worstAge).toBeLessThanOrEqual(300);
    for (const p of procs) {
      const s = p.tier.stats();
      expect(s.fallbacks).toBeGreaterThanOrEqual(1);
      expect(s.resyncs).toBeGreaterThanOrEqual(1);
      expect(s.fallback).toBe(0);
      expect(p.logs.some((l) => l.includes('falling back'))).toBe(true);
    }
    // during the outage every process refreshes on its own; before and after, about one per TTL period
    expect(restCalls()).toBeGreaterThan(4 * 20);
  });

  it('an invalidation made during an outage is re-sent on recovery (no pre-invalidation book survives)', async () => {
    const faults = { outages: [{ at_ms: 100, for_ms: 500, mode: 'down' as const, restart: false }], slow: [] };
    const { clock, procs, server } = simFleet(2, { ttl_ms: 5000, max_stale_ms: 10000 }, { faults, resetMs: 100 });
    void procs[0]!.cache.get('Q');
    await clock.advance(50);
    const before = server.read('Q');
    expect(before.book).toBeDefined();
    await clock.advance(100); // outage
    void procs[1]!.cache.get('Q'); // fails over to L1-only
    await clock.advance(10);
    procs[0]!.cache.invalidate('Q');
    await clock.advance(1000); // recovered
    const after = server.read('Q');
    expect(after.epoch).toBeGreaterThan(before.epoch);
    expect(after.book).toBeUndefined();
    expect(procs[1]!.cache.peek('Q')).toBeUndefined(); // resynced: dropped
  });
});
