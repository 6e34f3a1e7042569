/**
 * refreshThroughL2 step by step, on a SharedTier over the simulated store in virtual time: which L2 book is
 * served (depth, age boundary, unreadable), the double check after winning the lease, the waiting rounds of a
 * loser (ROUNDS, then a refresh of its own), early wake-ups by `written` notices, aborts, the store becoming
 * unavailable at each step, and what happens to the lease when the refresh fails. The other process is played
 * by the test through the SimServer directly (its commands are atomic at the instant they are made).
 */
import { describe, it, expect } from 'vitest';
import { VirtualClock } from '../../../src/core/clock.js';
import { refreshThroughL2 } from '../../../src/cache/shared/refresh.js';
import { SharedTier } from '../../../src/cache/shared/tier.js';
import { SimServer, NO_FAULTS, type SimFaults } from '../../../src/cache/shared/sim-store.js';
import { jsonCodec } from './sim-fleet.js';
import { flush, track, type Book } from '../helpers.js';

const S = 'S';

function rig(opts: { rttMs?: number; faults?: SimFaults; leaseMs?: number } = {}) {
  const clock = new VirtualClock();
  const server = new SimServer(clock, opts.faults ?? NO_FAULTS);
  const logs: string[] = [];
  const tier = new SharedTier<Book>({
    store: server.client(() => opts.rttMs ?? 1),
    codec: jsonCodec,
    clock,
    leaseMs: opts.leaseMs ?? 100,
    commandTimeoutMs: 50,
    breakerResetMs: 10_000,
    bookTtlMs: 10_000,
    origin: 'me',
    registry: null,
    log: (l) => logs.push(l),
  });
  /** The REST call: resolves (or rejects when `fail`) `ms` after it starts; counts its calls. */
  const rest = {
    calls: 0,
    startedAt: [] as number[],
    fail: false,
    ms: 10,
    fn: (): Promise<Book> => {
      const n = ++rest.calls;
      rest.startedAt.push(clock.now());
      const fail = rest.fail;
      return new Promise<Book>((resolve, reject) => {
        clock.setTimeout(() => (fail ? reject(new Error(`rest ${n} failed`)) : resolve({ symbol: S, call: n, depth: 10 })), rest.ms);
      });
    },
  };
  /** Another process writes a book to L2 now (call 0 marks a book that came from L2). */
  const put = (depth: number, ageMs: number): void => {
    const { epoch } = server.read(S);
    expect(server.write(S, epoch, jsonCodec.encode({ symbol: S, call: 0, depth }), depth, ageMs, 10_000, 'other')).toBe(true);
  };
  /** True when nobody holds the lease on S (takes it for 1 ms when free). */
  const leaseFree = (): boolean => server.acquire(S, 'probe', 1);
  const ac = new AbortController();
  const load = (depth: number, maxAgeMs: number) => refreshThroughL2(tier, clock, S, depth, () => maxAgeMs, ac.signal, rest.fn);
  return { clock, server, tier, rest, put, leaseFree, ac, load, logs };
}

describe('refreshThroughL2: which L2 book is served', () => {
  it('a book deep enough and exactly maxAgeMs old is an L2 hit (no REST call, fetchedAt from L2)', async () => {
    const { clock, rest, put, load, tier } = rig({ rttMs: 0 });
    put(10, 0);
    await clock.advance(50);
    const r = track(load(10, 50));
    await clock.advance(0);
    expect(r.value).toEqual({ value: { symbol: S, call: 0, depth: 10 }, fetchedAt: 0 });
    expect(rest.calls).toBe(0);
    expect(tier.stats()).toMatchObject({ l2Hits: 1, l2Misses: 0, leaseWins: 0 });
  });

  it('a book one ms older than maxAgeMs, or shallower than asked, is a miss: the load refreshes and writes L2', async () => {
    for (const [depth, maxAge] of [
      [10, 49],
      [11, 50],
    ] as const) {
      const { clock, rest, put, load, tier, server } = rig({ rttMs: 0 });
      put(10, 0);
      await clock.advance(50);
      const r = track(load(depth, maxAge));
      await clock.advance(20);
      expect(r.value).toEqual({ value: { symbol: S, call: 1, depth: 10 } });
      expect(rest.calls).toBe(1);
      expect(tier.stats()).toMatchObject({ l2Hits: 0, l2Misses: 1, leaseWins: 1 });
      expect(server.read(S).book?.depth).toBe(depth); // written under the depth asked for
    }
  });

  it('an unreadable L2 book is never served, however lax the caller', async () => {
    const { clock, rest, load, tier, server, logs } = rig({ rttMs: 0 });
    const { epoch } = server.read(S);
    server.write(S, epoch, new TextEncoder().encode('not json'), 0, 0, 10_000, 'other');
    const r = track(load(0, Infinity));
    await clock.advance(20);
    expect(r.value?.value.call).toBe(1);
    expect(rest.calls).toBe(1);
    expect(tier.stats()).toMatchObject({ l2Hits: 0, l2Misses: 1, errors: 2 }); // read, and read again after winning the lease
    expect(logs.some((l) => l.includes('unreadable L2 book for S'))).toBe(true);
  });

  it('an already aborted load throws the abort reason even when L2 has a fresh book', async () => {
    const { clock, rest, put, load, ac, tier } = rig();
    put(10, 0);
    const reason = new Error('caller gone');
    ac.abort(reason);
    const r = track(load(10, 1000));
    await clock.advance(5);
    expect(r.error).toBe(reason);
    expect(rest.calls).toBe(0);
    expect(tier.stats().l2Hits).toBe(0);
  });
});

describe('refreshThroughL2: the lease winner', () => {
  it('re-reads L2 after winning: a book written in between (deep enough, fresh to the boundary) is served and the lease released', async () => {
    // rtt 1: the first read reaches the store at 0.5 and answers at 1; the lease request reaches it at 1.5, the
    // double-check read at 2.5 (answer at 3). A book written at 1 with age a is judged 3.5 - (1 - a) = 2.5 + a old.
    const { clock, rest, put, load, tier, leaseFree } = rig();
    const r = track(load(10, 50));
    await clock.advance(1);
    put(10, 47.5);
    await clock.advance(2);
    expect(r.value).toEqual({ value: { symbol: S, call: 0, depth: 10 }, fetchedAt: -47 });
    expect(rest.calls).toBe(0);
    expect(tier.stats()).toMatchObject({ l2Hits: 1, l2Misses: 1, leaseWins: 1 });
    await clock.advance(2);
    expect(leaseFree()).toBe(true);
  });

  it('after winning, a book written in between that is too shallow or too old is not served: it refreshes under the lease', async () => {
    for (const [depth, age] of [
      [9, 0],
      [10, 47.75],
      [10, 1000],
    ] as const) {
      const { clock, rest, put, load, tier, leaseFree, server } = rig();
      const r = track(load(10, 50));
      await clock.advance(1);
      put(depth, age);
      await clock.advance(2);
      expect(rest.calls).toBe(1);
      expect(leaseFree()).toBe(false); // held while refreshing
      await clock.advance(20);
      expect(r.value).toEqual({ value: { symbol: S, call: 1, depth: 10 } });
      expect(tier.stats()).toMatchObject({ l2Hits: 0, l2Misses: 1, leaseWins: 1 });
      expect(JSON.parse(new TextDecoder().decode(server.read(S).book!.bytes))).toMatchObject({ call: 1 });
      expect(leaseFree()).toBe(true); // released after the write
    }
  });

  it('a failed refresh releases the lease at once (others need not wait for it to expire) and the error reaches the caller', async () => {
    const { clock, rest, load, leaseFree } = rig();
    rest.fail = true;
    const r = track(load(10, 50));
    await clock.advance(15);
    expect((r.error as Error).message).toBe('rest 1 failed');
    await clock.advance(2);
    expect(leaseFree()).toBe(true);
  });
});

describe('refreshThroughL2: a loser waits for the holder, then refreshes on its own', () => {
  it('two rounds of lease waits, then a refresh without the lease; one miss counted; the holder keeps its lease', async () => {
    const { clock, rest, load, tier, server } = rig();
    expect(server.acquire(S, 'other', 1000)).toBe(true); // a holder that never writes
    const r = track(load(10, 50));
    // read 0–1, lease refused at 2, wait 100; read 102–103, refused at 104, wait 100; read 204–205: give up
    await clock.advance(204);
    expect(rest.calls).toBe(0);
    await clock.advance(1);
    expect(rest.startedAt).toEqual([205]);
    await clock.advance(10);
    expect(r.value).toEqual({ value: { symbol: S, call: 1, depth: 10 } });
    expect(tier.stats()).toMatchObject({ l2Misses: 1, leaseWaits: 2, leaseTimeouts: 1, leaseWins: 0 });
    await clock.advance(2);
    expect(server.read(S).book?.depth).toBe(10); // its book still goes to L2
    expect(server.acquire(S, 'probe', 1)).toBe(false); // the other holder's lease untouched
  });

  it('`written` notices wake it early; a book too shallow sends it back to wait; it never releases a lease its own process holds', async () => {
    const { clock, rest, put, load, tier, leaseFree } = rig();
    // this process already holds the lease on S (another load of its own, e.g. a hedge), valid until 101.5
    const mine = track(tier.acquire(S));
    await clock.advance(2);
    expect(mine.value).toBe(true);
    const r = track(load(10, 50));
    await clock.advance(8); // t = 10: read at 3, lease refused at 4
    put(1, 0);
    await clock.advance(10); // woken at 10.5, re-read (shallow), refused again at 12.5
    expect(tier.stats()).toMatchObject({ l2Misses: 1, leaseWins: 1, leaseWaits: 2 });
    expect(rest.calls).toBe(0);
    put(1, 0);
    await clock.advance(2); // woken at 20.5, re-read at 21.5: two rounds done, refresh of its own
    expect(rest.startedAt).toEqual([21.5]);
    await clock.advance(15);
    expect(r.value?.value.call).toBe(1);
    expect(tier.stats()).toMatchObject({ l2Misses: 1, leaseWins: 1, leaseWaits: 2, leaseTimeouts: 1 });
    expect(leaseFree()).toBe(false); // still this process' lease (until 101.5)
  });

  it('the same, with the refresh failing: the error reaches the caller and the lease of its own process stays', async () => {
    const { clock, rest, put, load, tier, leaseFree } = rig();
    void tier.acquire(S);
    await clock.advance(2);
    const r = track(load(10, 50));
    await clock.advance(8);
    put(1, 0);
    await clock.advance(10);
    put(1, 0);
    rest.fail = true;
    await clock.advance(20);
    expect((r.error as Error).message).toBe('rest 1 failed');
    await clock.advance(5);
    expect(leaseFree()).toBe(false);
  });

  it('an abort while waiting ends the load at once, without another read or a refresh', async () => {
    const { clock, rest, load, server, ac } = rig();
    server.acquire(S, 'other', 1000);
    const r = track(load(10, 50));
    await clock.advance(30);
    const commands = server.commands;
    const reason = new Error('caller gone');
    ac.abort(reason);
    await flush();
    expect(r.error).toBe(reason);
    await clock.advance(1000);
    expect(server.commands).toBe(commands);
    expect(rest.calls).toBe(0);
  });
});

describe('refreshThroughL2: the store unavailable at each step means a refresh of its own, never an error', () => {
  const down = (at_ms: number): SimFaults => ({ outages: [{ at_ms, for_ms: 5000, mode: 'down', restart: false }], slow: [] });

  it('with the breaker already open, the REST call starts at once (no store round trip)', async () => {
    const { clock, rest, load, tier } = rig({ faults: down(0) });
    await clock.advance(1);
    expect(tier.down).toBe(true);
    const r = track(load(10, 50));
    expect(rest.calls).toBe(1);
    await clock.advance(10);
    expect(r.value).toEqual({ value: { symbol: S, call: 1, depth: 10 } });
  });

  it('the first read failing', async () => {
    const { clock, rest, load, tier } = rig({ faults: down(0) });
    expect(tier.down).toBe(false);
    const r = track(load(10, 50));
    await clock.advance(10);
    expect(r.value).toEqual({ value: { symbol: S, call: 1, depth: 10 } });
    expect(tier.stats()).toMatchObject({ l2Misses: 0, fallbacks: 1 });
  });

  it('the lease request failing (right after the read)', async () => {
    const { clock, rest, load } = rig({ faults: down(1) });
    const r = track(load(10, 50));
    await clock.advance(1);
    expect(rest.startedAt).toEqual([1]);
    await clock.advance(10);
    expect(r.value).toEqual({ value: { symbol: S, call: 1, depth: 10 } });
  });

  it('the double-check read failing after the lease was won', async () => {
    const { clock, rest, load, tier } = rig({ faults: down(2) });
    const r = track(load(10, 50));
    await clock.advance(2);
    expect(tier.stats().leaseWins).toBe(1);
    expect(rest.startedAt).toEqual([2]);
    await clock.advance(10);
    expect(r.value).toEqual({ value: { symbol: S, call: 1, depth: 10 } });
  });

  it('an outage while waiting for the holder wakes the waiter, which refreshes then', async () => {
    const { clock, rest, load, server } = rig({ faults: down(50) });
    server.acquire(S, 'other', 1000);
    const r = track(load(10, 50));
    await clock.advance(50);
    expect(rest.startedAt).toEqual([50]);
    await clock.advance(10);
    expect(r.value).toEqual({ value: { symbol: S, call: 1, depth: 10 } });
  });
});
