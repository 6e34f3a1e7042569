/**
 * What the MDCache constructor wires (virtual time): the ConfigError for ws_book without a feed, the default
 * retry jitter stream, and the shared tier's notices — another process' invalidation counted as `shared`, a
 * recovery after an outage dropping every held symbol (and only those) as `shared_resync`.
 */
import { describe, it, expect } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import { ConfigError } from '../../src/core/errors.js';
import { rngStream } from '../../src/core/rng.js';
import { DEFAULT_JITTER_SEED, MDCache } from '../../src/cache/md-cache.js';
import { FakeRefresh, track } from './helpers.js';
import { simFleet } from './shared/sim-fleet.js';

describe('MDCache constructor wiring', () => {
  it('ws_book without a feed: a ConfigError naming md_cache.policy and why', () => {
    let err: unknown;
    try {
      new MDCache({ enabled: true, policy: 'ws_book' }, { clock: new VirtualClock(), registry: null, refresh: () => Promise.reject(new Error('unused')) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain("md_cache.policy: 'ws_book' needs a book feed (deps.feed): the stream that keeps each symbol's book");
  });

  it('without deps.random the retry jitter comes from the md_cache.retry stream of the default seed', async () => {
    const clock = new VirtualClock();
    const refresh = new FakeRefresh(clock, undefined);
    const cache = new MDCache({ enabled: true, refresh_timeout_ms: 10_000, retry: { max_attempts: 2, base_ms: 1000, max_ms: 1000 } }, { clock, registry: null, refresh: refresh.fn });
    void cache.get('A').catch(() => {});
    refresh.calls[0]!.reject();
    const expected = rngStream(DEFAULT_JITTER_SEED, 'md_cache.retry').next() * 1000;
    await clock.advanceTo(expected - 0.001);
    expect(refresh.count()).toBe(1);
    await clock.advanceTo(expected);
    expect(refresh.count()).toBe(2);
  });

  it('shared tier notices: another process\' invalidation counts as `shared`; a recovery drops held symbols only, as `shared_resync`', async () => {
    const faults = { outages: [{ at_ms: 100, for_ms: 100, mode: 'down' as const, restart: false }], slow: [] };
    const { clock, procs } = simFleet(2, { ttl_ms: 1000, max_stale_ms: 2000, retry: { max_attempts: 1 } }, { faults, resetMs: 50 });
    void procs[0]!.cache.get('X');
    await clock.advance(20);
    void procs[1]!.cache.get('X');
    procs[1]!.refresh.failNext = 1;
    const bad = track(procs[1]!.cache.get('Y')); // fails: an entry without a value or a load
    await clock.advance(20);
    expect(bad.error).toBeDefined();
    procs[0]!.cache.invalidate('X');
    await clock.advance(5);
    expect(procs[1]!.cache.stats().invalidations).toEqual({ shared: 1 });
    void procs[1]!.cache.get('X');
    await clock.advance(40); // t = 85
    expect(procs[1]!.cache.peek('X')).toBeDefined();
    await clock.advance(200); // outage 100–200, recovered
    expect(procs[1]!.tier.stats().resyncs).toBe(1);
    expect(procs[1]!.cache.stats().invalidations).toEqual({ shared: 1, shared_resync: 1 });
    expect(procs[1]!.cache.peek('X')).toBeUndefined();
  });
});
