/**
 * SharedTier on its own, in virtual time: what each command answers, the counters, notices to the listener,
 * the circuit breaker (command timeouts, failures, lost connection), probing and recovery with the
 * re-sending of pending invalidations, waitWritten, close(), and its Prometheus series. The simulated store
 * (SimServer) plays the store where it can; a hand-driven store (every call answered by the test) covers
 * what it cannot produce: a call that throws synchronously, a reply after the timeout, a ping in flight
 * while the connection comes back.
 */
import { describe, it, expect } from 'vitest';
import { Registry } from 'prom-client';
import { VirtualClock } from '../../../src/core/clock.js';
import { SharedTier, type SharedListener } from '../../../src/cache/shared/tier.js';
import { SimServer, NO_FAULTS, type SimFaults } from '../../../src/cache/shared/sim-store.js';
import { SHARED_METRIC_NAMES, SharedMetrics } from '../../../src/cache/shared/metrics.js';
import type { SharedCodec, SharedStore, StoreEvent, StoreRead } from '../../../src/cache/shared/types.js';
import { jsonCodec } from './sim-fleet.js';
import { flush, track, type Book } from '../helpers.js';

const book = (call: number, depth = 10): Book => ({ symbol: 'S', call, depth });

function listener() {
  const l = { invalidated: [] as string[], resyncs: 0 };
  const attach: SharedListener = { invalidated: (s) => l.invalidated.push(s), resync: () => l.resyncs++ };
  return { l, attach };
}

function simRig(opts: { faults?: SimFaults; rtt?: () => number; origin?: string; registry?: Registry; codec?: SharedCodec<Book>; server?: SimServer; clock?: VirtualClock } = {}) {
  const clock = opts.clock ?? new VirtualClock();
  const server = opts.server ?? new SimServer(clock, opts.faults ?? NO_FAULTS);
  const logs: string[] = [];
  const tier = new SharedTier<Book>({
    store: server.client(opts.rtt ?? (() => 1)),
    codec: opts.codec ?? jsonCodec,
    clock,
    leaseMs: 100,
    commandTimeoutMs: 50,
    breakerResetMs: 200,
    bookTtlMs: 10_000,
    origin: opts.origin ?? 'me',
    registry: opts.registry ?? null,
    log: (line) => logs.push(line),
  });
  return { clock, server, tier, logs };
}

interface Pending {
  op: string;
  args: unknown[];
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

/** A store whose every call the test answers by hand (and can make throw synchronously). */
class ManualStore implements SharedStore {
  readonly calls: Pending[] = [];
  throwOn: string | undefined = undefined;
  onEvent: (e: StoreEvent) => void = () => {};
  onStatus: (up: boolean) => void = () => {};
  closed = 0;
  private call<T>(op: string, ...args: unknown[]): Promise<T> {
    if (this.throwOn === op) throw new Error(`${op} threw`);
    return new Promise<T>((resolve, reject) => this.calls.push({ op, args, resolve: resolve as (v: unknown) => void, reject }));
  }
  last(op: string): Pending {
    const c = this.calls.filter((x) => x.op === op).at(-1);
    if (c === undefined) throw new Error(`no ${op} call`);
    return c;
  }
  count(op: string): number {
    return this.calls.filter((x) => x.op === op).length;
  }
  read(symbol: string): Promise<StoreRead> {
    return this.call('read', symbol);
  }
  acquire(symbol: string, token: string, ms: number): Promise<boolean> {
    return this.call('acquire', symbol, token, ms);
  }
  release(symbol: string, token: string): Promise<boolean> {
    return this.call('release', symbol, token);
  }
  write(symbol: string, epoch: number, bytes: Uint8Array, depth: number, ageMs: number, ttlMs: number, origin: string): Promise<boolean> {
    return this.call('write', symbol, epoch, bytes, depth, ageMs, ttlMs, origin);
  }
  invalidate(symbol: string, origin: string): Promise<number> {
    return this.call('invalidate', symbol, origin);
  }
  ping(): Promise<void> {
    return this.call('ping');
  }
  subscribe(onEvent: (e: StoreEvent) => void, onStatus: (up: boolean) => void): void {
    this.onEvent = onEvent;
    this.onStatus = onStatus;
  }
  close(): Promise<void> {
    this.closed++;
    return Promise.resolve();
  }
}

function manualRig() {
  const clock = new VirtualClock();
  const store = new ManualStore();
  const logs: string[] = [];
  const tier = new SharedTier<Book>({ store, codec: jsonCodec, clock, leaseMs: 100, commandTimeoutMs: 50, breakerResetMs: 200, bookTtlMs: 10_000, origin: 'me', registry: null, log: (line) => logs.push(line) });
  return { clock, store, tier, logs };
}

describe('SharedTier commands', () => {
  it('read: an empty symbol has depth 0 and no fetch time; a book is dated back by its age; an unreadable one is ignored', async () => {
    const { clock, server, tier, logs } = simRig();
    expect(server.read('S').epoch).toBe(0); // created at time 0
    const empty = track(tier.read('S'));
    await clock.advance(1);
    expect(empty.value).toEqual({ epoch: 0, depth: 0, fetchedAt: -Infinity });
    server.write('S', 0, jsonCodec.encode(book(7, 5)), 5, 30, 10_000, 'other');
    await clock.advance(9); // t = 10
    const full = track(tier.read('S'));
    await clock.advance(1);
    // written at 1 aged 30 (fetched at -29); read at 10.5 (39.5 old), sent at 10: dated -29.5, half a round trip early
    expect(full.value).toEqual({ epoch: 0, value: book(7, 5), depth: 5, fetchedAt: -29.5 });
    server.write('S', 0, new TextEncoder().encode('{'), 5, 0, 10_000, 'other');
    const bad = track(tier.read('S'));
    await clock.advance(1);
    expect(bad.value).toEqual({ epoch: 0, depth: 0, fetchedAt: -Infinity });
    expect(tier.stats().errors).toBe(1);
    expect(logs.filter((l) => l.startsWith('shared tier: unreadable L2 book for S ignored ('))).toHaveLength(1);
  });

  it('acquire / release: wins and waits are counted, a refused store counts neither; release without the lease sends nothing', async () => {
    const { clock, server, tier } = simRig();
    const a = track(tier.acquire('S'));
    await clock.advance(1);
    expect(a.value).toBe(true);
    const b = track(tier.acquire('S'));
    await clock.advance(1);
    expect(b.value).toBe(false);
    expect(tier.stats()).toMatchObject({ leaseWins: 1, leaseWaits: 1 });
    const commands = server.commands;
    await tier.release('T'); // never held
    expect(server.commands).toBe(commands);
    void tier.release('S');
    await clock.advance(1);
    expect(server.commands).toBe(commands + 1);
    expect(server.acquire('S', 'probe', 1)).toBe(true); // released
  });

  it('a lease token names its process: a release after the lease expired never frees another process\' lease', async () => {
    const clock = new VirtualClock();
    const server = new SimServer(clock);
    const p0 = simRig({ clock, server, origin: 'p0' }).tier;
    const p1 = simRig({ clock, server, origin: 'p1' }).tier;
    void p0.acquire('S');
    await clock.advance(150); // p0's lease expired at 100.5 without a release
    const won = track(p1.acquire('S'));
    await clock.advance(1);
    expect(won.value).toBe(true);
    void p0.release('S');
    await clock.advance(1);
    expect(server.acquire('S', 'probe', 1)).toBe(false); // still p1's
  });

  it('acquire while the store is unavailable answers undefined and counts no wait', async () => {
    const { clock, tier } = simRig({ faults: { outages: [{ at_ms: 0, for_ms: 100, mode: 'down', restart: false }], slow: [] } });
    await clock.advance(1);
    expect(await tier.acquire('S')).toBeUndefined();
    expect(tier.stats()).toMatchObject({ leaseWins: 0, leaseWaits: 0 });
  });

  it('write: a refused write (epoch moved) is counted and the listener drops the L1 copy; an accepted one is not', async () => {
    const { clock, server, tier } = simRig();
    const { l, attach } = listener();
    tier.attach(attach);
    expect(server.read('S').epoch).toBe(0);
    const ok = track(tier.write('S', 0, book(1), 10, 0));
    await clock.advance(1);
    expect(ok.value).toBe(true);
    expect(server.read('S').book?.depth).toBe(10);
    expect(l.invalidated).toEqual([]);
    server.invalidate('S', 'other');
    const refused = track(tier.write('S', 0, book(2), 10, 0));
    await clock.advance(1);
    expect(refused.value).toBe(false);
    expect(tier.stats().writesRefused).toBe(1);
    expect(l.invalidated).toContain('S');
  });

  it('a refused write without a listener attached is no error', async () => {
    const { clock, server, tier } = simRig();
    expect(server.invalidate('S', 'other')).toBe(1);
    const refused = track(tier.write('S', 0, book(2), 10, 0));
    await clock.advance(1);
    expect(refused.value).toBe(false);
  });

  it('write: a book that cannot be encoded is counted as an error and never sent', async () => {
    const codec: SharedCodec<Book> = {
      encode: () => {
        throw new Error('too big');
      },
      decode: jsonCodec.decode,
    };
    const { clock, server, tier, logs } = simRig({ codec });
    const w = track(tier.write('S', 0, book(1), 10, 0));
    await clock.advance(1);
    expect(w.settled).toBe(true);
    expect(w.value).toBeUndefined();
    expect(server.commands).toBe(0);
    expect(tier.stats().errors).toBe(1);
    expect(logs).toEqual(['shared tier: book for S not encodable (too big)']);
  });

  it('notices: another process\' invalidation reaches the listener, its own does not', async () => {
    const clock = new VirtualClock();
    const server = new SimServer(clock);
    const me = simRig({ clock, server, origin: 'me' }).tier;
    const other = simRig({ clock, server, origin: 'other' }).tier;
    const { l, attach } = listener();
    me.attach(attach);
    expect([server.read('A').epoch, server.read('B').epoch]).toEqual([0, 0]);
    me.invalidate('A');
    other.invalidate('B');
    await clock.advance(5);
    expect(l.invalidated).toEqual(['B']);
    expect(server.read('A').epoch).toBe(1);
    expect(server.read('B').epoch).toBe(1);
  });

  it('notices without a listener attached are no error', async () => {
    const clock = new VirtualClock();
    const server = new SimServer(clock);
    simRig({ clock, server, origin: 'me' });
    const other = simRig({ clock, server, origin: 'other' }).tier;
    expect(server.read('B').epoch).toBe(0);
    other.invalidate('B');
    await clock.advance(5);
    expect(server.read('B').epoch).toBe(1);
  });

  it('rtt: p50, p99 and max of the measured round trips (zeros before any)', async () => {
    const rtts = [1, 1, 1, 1, 8];
    let i = 0;
    const { clock, tier } = simRig({ rtt: () => rtts[i++ % rtts.length]! });
    expect(tier.stats().rttMs).toEqual({ p50: 0, p99: 0, max: 0, count: 0 });
    for (let k = 0; k < 5; k++) {
      void tier.read('S');
      await clock.advance(10);
    }
    expect(tier.stats().rttMs).toEqual({ p50: 1, p99: 8, max: 8, count: 5 });
  });
});

describe('SharedTier waitWritten', () => {
  it('one `written` notice wakes every waiter of the symbol; one timing out leaves the others waiting for it', async () => {
    const clock = new VirtualClock();
    const server = new SimServer(clock);
    const { tier } = simRig({ clock, server });
    const short = track(tier.waitWritten('S', 10));
    const a = track(tier.waitWritten('S', 100));
    const b = track(tier.waitWritten('S', 100));
    const other = track(tier.waitWritten('T', 100));
    await clock.advance(15);
    expect([short.settled, a.settled, b.settled]).toEqual([true, false, false]);
    server.write('S', server.read('S').epoch, jsonCodec.encode(book(1)), 10, 0, 10_000, 'other');
    await clock.advance(1); // the notice arrives half a round trip later
    expect([a.settled, b.settled, other.settled]).toEqual([true, true, false]);
    await clock.advance(100);
    expect(other.settled).toBe(true);
  });

  it('resolves on its timeout without a signal, at once with an aborted signal, and when the signal aborts', async () => {
    const { clock, tier } = simRig();
    const plain = track(tier.waitWritten('S', 30));
    const pre = new AbortController();
    pre.abort();
    const early = track(tier.waitWritten('S', 30, pre.signal));
    await flush();
    expect(early.settled).toBe(true);
    const ac = new AbortController();
    const later = track(tier.waitWritten('S', 30, ac.signal));
    await clock.advance(10);
    expect([plain.settled, later.settled]).toEqual([false, false]);
    ac.abort();
    await flush();
    expect([plain.settled, later.settled]).toEqual([false, true]);
    await clock.advance(20);
    expect(plain.settled).toBe(true);
  });
});

describe('SharedTier circuit breaker', () => {
  it('a command timeout opens the breaker: calls answer undefined without touching the store; a probe closes it when the store answers in time again', async () => {
    // round trips take 100 ms more between 0 and 300: the read sent at 0 times out at 50 (answer at 101), the
    // first probe's ping (250) times out at 300 (answer at 351); the next probe (500) is answered at 501
    const faults: SimFaults = { outages: [], slow: [{ at_ms: 0, for_ms: 300, extra_ms: 100 }] };
    const { clock, server, tier, logs } = simRig({ faults });
    const { l, attach } = listener();
    tier.attach(attach);
    expect(tier.down).toBe(false);
    const r = track(tier.read('S'));
    await clock.advance(50);
    expect(r.settled).toBe(true);
    expect(r.value).toBeUndefined();
    expect(tier.down).toBe(true);
    expect(tier.stats()).toMatchObject({ errors: 1, fallbacks: 1, fallback: 1 });
    expect(logs).toEqual(['shared tier: falling back to L1-only (store error: command timed out after 50 ms); probing every 200 ms']);
    await clock.advance(10);
    const commands = server.commands;
    expect(await tier.read('S')).toBeUndefined();
    await clock.advance(340); // t = 400
    expect(tier.down).toBe(true);
    expect(tier.stats()).toMatchObject({ errors: 1, fallbacks: 1, rttMs: { count: 0 } }); // late answers ignored
    await clock.advance(100); // t = 500: the second probe's ping is on its way
    expect(tier.down).toBe(true);
    await clock.advance(2);
    expect(tier.down).toBe(false);
    expect(tier.stats()).toMatchObject({ errors: 1, fallbacks: 1, fallback: 0, resyncs: 1 });
    expect(logs[1]).toBe('shared tier: store reachable again; L1 resynced, shared tier back in use');
    expect(l.resyncs).toBe(1);
    expect(server.commands).toBe(commands); // nothing sent while open (pings are no commands)
    const again = track(tier.read('S'));
    await clock.advance(1);
    expect(again.value?.depth).toBe(0);
    expect(tier.stats().rttMs.count).toBe(1);
  });

  it('a lost connection opens the breaker at once; its return closes it at once (not at the next probe)', async () => {
    const faults: SimFaults = { outages: [{ at_ms: 100, for_ms: 130, mode: 'hang', restart: false }], slow: [] };
    const { clock, tier, logs } = simRig({ faults });
    const { l, attach } = listener();
    tier.attach(attach);
    await clock.advance(100);
    expect(tier.down).toBe(true);
    expect(tier.stats()).toMatchObject({ errors: 0, fallbacks: 1 });
    expect(logs[0]).toContain('(connection lost)');
    await clock.advance(130); // back at 230; the first probe would be at 300
    expect(tier.down).toBe(true); // probing (one round trip)
    await clock.advance(1);
    expect(tier.down).toBe(false);
    expect(l.resyncs).toBe(1);
  });

  it('two failures in a row open the breaker once', async () => {
    const { clock, store, tier } = manualRig();
    void tier.read('A');
    void tier.read('B');
    store.last('read').reject(new Error('x'));
    store.calls[0]!.reject('plain string');
    await flush();
    expect(tier.stats()).toMatchObject({ errors: 2, fallbacks: 1 });
    expect(store.count('read')).toBe(2);
  });

  it('a store call that throws synchronously is a failure like any other', async () => {
    const { store, tier, logs } = manualRig();
    store.throwOn = 'read';
    expect(await tier.read('S')).toBeUndefined();
    expect(tier.down).toBe(true);
    expect(logs[0]).toContain('(store error: read threw)');
  });

  it('a failure that is not an Error is logged as its text', async () => {
    const { store, tier, logs } = manualRig();
    const r = track(tier.read('S'));
    store.last('read').reject('ECONNRESET');
    await flush();
    expect(r.settled).toBe(true);
    expect(logs[0]).toContain('(store error: ECONNRESET)');
  });

  it('an answer after the timeout is ignored: no second error, no round trip recorded', async () => {
    const { clock, store, tier } = manualRig();
    const r = track(tier.read('S'));
    const w = track(tier.read('T'));
    await clock.advance(50);
    expect(r.settled && w.settled).toBe(true);
    store.calls[0]!.resolve({ epoch: 1 });
    store.calls[1]!.reject(new Error('late'));
    await flush();
    expect(tier.stats()).toMatchObject({ errors: 2, fallbacks: 1, rttMs: { count: 0 } }); // the two timeouts only
  });

  it('probes: a failing ping keeps it open; while the connection is lost no ping is sent; a probe in flight is not doubled', async () => {
    const { clock, store, tier } = manualRig();
    const { l, attach } = listener();
    tier.attach(attach);
    store.onStatus(false);
    expect(tier.down).toBe(true);
    await clock.advance(700); // three probe periods: the connection is down, no ping
    expect(store.count('ping')).toBe(0);
    store.onStatus(true); // back: probes at once
    expect(store.count('ping')).toBe(1);
    store.last('ping').reject(new Error('not yet'));
    await flush();
    expect(tier.down).toBe(true);
    await clock.advance(200); // next probe
    expect(store.count('ping')).toBe(2);
    store.onStatus(true); // a status change while that ping is in flight does not start another
    expect(store.count('ping')).toBe(2);
    store.last('ping').resolve(undefined);
    await flush();
    expect(tier.down).toBe(false);
    expect(tier.stats()).toMatchObject({ resyncs: 1, fallbacks: 1 });
    expect(l.resyncs).toBe(1);
  });

  it('a ping that never answers counts as failed after the command timeout', async () => {
    const { clock, store, tier } = manualRig();
    store.onStatus(false);
    store.onStatus(true);
    expect(store.count('ping')).toBe(1);
    await clock.advance(50);
    expect(tier.down).toBe(true);
    await clock.advance(200);
    expect(store.count('ping')).toBe(2);
    store.last('ping').resolve(undefined);
    await flush();
    expect(tier.down).toBe(false);
  });

  it('a recovery without a listener attached is no error', async () => {
    const { store, tier } = manualRig();
    store.onStatus(false);
    store.onStatus(true);
    store.last('ping').resolve(undefined);
    await flush();
    expect(tier.down).toBe(false);
    expect(tier.stats().resyncs).toBe(1);
  });

  it('invalidations: sent at once when up; kept while down (or when the send fails) and re-sent once on recovery', async () => {
    // the connection is lost at 100 and back at 200; B is sent at 99.9 and lost on the way (reaches the store at 100.4)
    const faults: SimFaults = { outages: [{ at_ms: 100, for_ms: 100, mode: 'down', restart: false }], slow: [] };
    const { clock, server, tier } = simRig({ faults });
    const epochB = server.read('B').epoch;
    expect(server.read('A').epoch).toBe(0);
    tier.invalidate('A');
    await clock.advance(99.9);
    expect(server.read('A').epoch).toBe(1);
    tier.invalidate('B');
    await clock.advance(50.1); // t = 150: down
    expect(server.read('B').epoch).toBe(epochB);
    const epochC = server.read('C').epoch;
    tier.invalidate('C'); // while open: kept
    await clock.advance(60); // t = 210: recovered at 200 (probe round trip 1 ms), B and C re-sent
    expect(tier.down).toBe(false);
    expect(server.read('B').epoch).toBe(epochB + 1);
    expect(server.read('C').epoch).toBe(epochC + 1);
    expect(server.read('A').epoch).toBe(1); // sent once only
  });
});

describe('SharedTier close', () => {
  it('close wakes waiters, stops probing, sends nothing more, counts no error, closes the store once', async () => {
    const { clock, store, tier, logs } = manualRig();
    const w = track(tier.waitWritten('S', 1000));
    await tier.close();
    expect(w.settled).toBe(true);
    expect(store.closed).toBe(1);
    expect(await tier.read('S')).toBeUndefined();
    tier.invalidate('S');
    store.onStatus(false);
    expect(store.calls).toEqual([]);
    await clock.advance(1000);
    expect(store.count('ping')).toBe(0);
    expect(tier.stats()).toMatchObject({ errors: 0, fallbacks: 0 });
    expect(logs).toEqual([]);
    await tier.close();
    expect(store.closed).toBe(1);
  });

  it('close during a probe: the answer does not reopen the tier', async () => {
    const { store, tier } = manualRig();
    store.onStatus(false);
    store.onStatus(true);
    await tier.close();
    store.last('ping').resolve(undefined);
    await flush();
    expect(tier.stats().resyncs).toBe(0);
  });

  it('a failure after close is not counted', async () => {
    const { store, tier, logs } = manualRig();
    const r = track(tier.read('S'));
    await tier.close();
    store.last('read').reject(new Error('connection closed'));
    await flush();
    expect(r.settled).toBe(true);
    expect(tier.stats().errors).toBe(0);
    expect(logs).toEqual([]);
  });
});

describe('SharedTier metrics', () => {
  const value = async (registry: Registry, name: string): Promise<number> => {
    const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
    return (m?.values ?? []).reduce((n, v) => n + v.value, 0);
  };

  it('counters are summed over the tiers on a registry; a closed tier leaves them; round trips are observed', async () => {
    const registry = new Registry();
    const clock = new VirtualClock();
    const server = new SimServer(clock);
    const a = simRig({ clock, server, origin: 'a', registry }).tier;
    const b = simRig({ clock, server, origin: 'b', registry }).tier;
    a.hit();
    b.hit();
    b.hit();
    a.miss();
    void a.acquire('S');
    void b.acquire('S');
    await clock.advance(2);
    expect(await value(registry, SHARED_METRIC_NAMES.l2Hits)).toBe(3);
    expect(await value(registry, SHARED_METRIC_NAMES.l2Misses)).toBe(1);
    expect(await value(registry, SHARED_METRIC_NAMES.leaseWins)).toBe(1);
    expect(await value(registry, SHARED_METRIC_NAMES.leaseWaits)).toBe(1);
    expect(await value(registry, SHARED_METRIC_NAMES.fallback)).toBe(0);
    const rtt = (await registry.getMetricsAsJSON()).find((x) => x.name === SHARED_METRIC_NAMES.rtt)!;
    expect(rtt.values.find((v) => (v as { metricName?: string }).metricName === `${SHARED_METRIC_NAMES.rtt}_count`)?.value).toBe(2);
    await b.close();
    expect(await value(registry, SHARED_METRIC_NAMES.l2Hits)).toBe(1);
  });

  it('errors and the fallback gauge: a tier whose store fails counts its errors and shows 1 while open', async () => {
    const registry = new Registry();
    const clock = new VirtualClock();
    const server = new SimServer(clock, { outages: [{ at_ms: 10, for_ms: 100, mode: 'down', restart: false }], slow: [] });
    const a = simRig({ clock, server, origin: 'a', registry }).tier;
    simRig({ clock, server, origin: 'b', registry });
    await clock.advance(9.8);
    void a.read('S'); // reaches the store at 10.3, during the outage: lost
    await clock.advance(1);
    expect(a.stats()).toMatchObject({ errors: 1, fallback: 1 });
    expect(await value(registry, SHARED_METRIC_NAMES.errors)).toBe(1);
    expect(await value(registry, SHARED_METRIC_NAMES.fallback)).toBe(2); // b lost its connection too
    await clock.advance(200);
    expect(await value(registry, SHARED_METRIC_NAMES.fallback)).toBe(0);
  });

  it('a second SharedMetrics on the same registry replaces the series (no "already registered" error)', async () => {
    const registry = new Registry();
    const first = new SharedMetrics(registry);
    const other = simRig().tier; // its stats (all zero) with l2Hits set below
    first.add({ stats: () => ({ ...other.stats(), l2Hits: 5 }) });
    const second = new SharedMetrics(registry);
    second.add({ stats: () => ({ ...other.stats(), l2Hits: 2 }) });
    expect(await value(registry, SHARED_METRIC_NAMES.l2Hits)).toBe(2);
  });
});
