/**
 * The L1 semantics property test, run on a fleet: 3 caches ("processes") sharing the simulated store, with
 * random interleavings of gets and invalidations in any process, REST successes, failures and delays, clock
 * advances and an optional store outage. Invariants (per get): the book is at most max_stale_ms old and the
 * age reported never under-states it (L2 ages are conservative by at most a round trip); a fresh book is
 * within the asked max age; and no book comes from a REST call started before an invalidation that the
 * getting process had seen (its own, or another process' once the notice had time to arrive — after the
 * recovery when the store was unreachable).
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { VirtualClock } from '../../../src/core/clock.js';
import { RefreshError } from '../../../src/core/errors.js';
import { mdCacheConfig, type MdCacheConfig } from '../../../src/config/md-cache.js';
import { MDCache } from '../../../src/cache/md-cache.js';
import { SharedTier } from '../../../src/cache/shared/tier.js';
import { SimServer, type SimFaults } from '../../../src/cache/shared/sim-store.js';
import type { GetResult, RefreshContext } from '../../../src/cache/types.js';

const SYMBOLS = ['A', 'B'];
const PROCS = 3;
const RTT = 1;

type Cmd =
  | { t: 'get'; p: number; s: number; maxAgeMs?: number }
  | { t: 'invalidate'; p: number; s: number }
  | { t: 'advance'; ms: number }
  | { t: 'resolve'; k: number }
  | { t: 'reject'; k: number };

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('get' as const), p: fc.nat(PROCS - 1), s: fc.nat(1), maxAgeMs: fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }) }, { requiredKeys: ['t', 'p', 's'] }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('invalidate' as const), p: fc.nat(PROCS - 1), s: fc.nat(1) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 200 })) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('resolve' as const), k: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('reject' as const), k: fc.nat(5) }) },
);

const setupArb = fc.record({
  ttl_ms: fc.integer({ min: 10, max: 200 }),
  extraStale: fc.integer({ min: 0, max: 400 }),
  stale_ok: fc.boolean(),
  max_attempts: fc.integer({ min: 1, max: 3 }),
  refresh_timeout_ms: fc.integer({ min: 20, max: 400 }),
  leaseMs: fc.integer({ min: 10, max: 300 }),
  outage: fc.option(fc.record({ at_ms: fc.integer({ min: 0, max: 800 }), for_ms: fc.integer({ min: 1, max: 600 }), mode: fc.constantFrom('down' as const, 'hang' as const), restart: fc.boolean() }), { nil: undefined }),
});

interface Call {
  id: number;
  symbol: string;
  startSeq: number;
  signal: AbortSignal;
  settled: boolean;
  resolvedAt?: number;
  resolve(): void;
  reject(): void;
}

interface Issued {
  p: number;
  symbol: string;
  seq: number;
  at: number;
  maxAge: number;
  result?: GetResult<{ id: number }>;
  settledAt?: number;
  error?: unknown;
}

type Setup = typeof setupArb extends fc.Arbitrary<infer T> ? T : never;

async function run(setup: Setup, cmds: Cmd[]): Promise<void> {
  const config: MdCacheConfig = mdCacheConfig({
    enabled: true,
    ttl_ms: setup.ttl_ms,
    max_stale_ms: setup.ttl_ms + setup.extraStale,
    stale_ok: setup.stale_ok,
    refresh_timeout_ms: setup.refresh_timeout_ms,
    retry: { max_attempts: setup.max_attempts, base_ms: 5, max_ms: 20 },
  });
  const clock = new VirtualClock();
  const faults: SimFaults = { outages: setup.outage ? [setup.outage] : [], slow: [] };
  const server = new SimServer(clock, faults);
  let seq = 0;
  const calls: Call[] = [];
  const caches: MDCache<{ id: number }>[] = [];
  for (let p = 0; p < PROCS; p++) {
    const refresh = (symbol: string, ctx: RefreshContext) =>
      new Promise<{ id: number }>((resolve, reject) => {
        const call: Call = {
          id: calls.length + 1,
          symbol,
          startSeq: seq,
          signal: ctx.signal,
          settled: false,
          resolve() {
            if (call.settled) return;
            call.settled = true;
            call.resolvedAt = clock.now();
            resolve({ id: call.id });
          },
          reject() {
            if (call.settled) return;
            call.settled = true;
            reject(new Error(`refresh ${call.id} failed`));
          },
        };
        calls.push(call);
      });
    const tier = new SharedTier<{ id: number }>({
      store: server.client(() => RTT),
      codec: { encode: (v) => new Uint8Array([v.id & 255, v.id >> 8]), decode: (b) => ({ id: b[0]! + (b[1]! << 8) }) },
      clock,
      leaseMs: setup.leaseMs,
      commandTimeoutMs: 20,
      breakerResetMs: 50,
      bookTtlMs: config.max_stale_ms,
      origin: `p${p}`,
      registry: null,
    });
    caches.push(new MDCache(config, { refresh, clock, registry: null, random: () => 0.5, shared: tier }));
  }
  const issued: Issued[] = [];
  const invs: { p: number; symbol: string; seq: number; at: number }[] = [];
  const pending = () => calls.filter((c) => !c.settled && !c.signal.aborted);
  for (const cmd of cmds) {
    seq++;
    switch (cmd.t) {
      case 'get': {
        const rec: Issued = { p: cmd.p, symbol: SYMBOLS[cmd.s]!, seq, at: clock.now(), maxAge: cmd.maxAgeMs ?? config.ttl_ms };
        issued.push(rec);
        caches[cmd.p]!.get(rec.symbol, { maxAgeMs: cmd.maxAgeMs }).then(
          (r) => {
            rec.result = r;
            rec.settledAt = clock.now();
          },
          (e: unknown) => {
            rec.error = e;
            rec.settledAt = clock.now();
          },
        );
        break;
      }
      case 'invalidate':
        caches[cmd.p]!.invalidate(SYMBOLS[cmd.s]!, 'manual');
        invs.push({ p: cmd.p, symbol: SYMBOLS[cmd.s]!, seq, at: clock.now() });
        break;
      case 'advance':
        await clock.advance(cmd.ms);
        break;
      default: {
        const ps = pending();
        if (ps.length > 0) {
          const c = ps[cmd.k % ps.length]!;
          if (cmd.t === 'resolve') c.resolve();
          else c.reject();
        }
        await clock.advance(0);
      }
    }
  }
  seq++;
  // Drain: hanging refreshes time out, retries and probes run out; every get settles.
  for (let i = 0; i < 50 && issued.some((g) => g.settledAt === undefined); i++) await clock.advance(100);
  const byId = new Map(calls.map((c) => [c.id, c]));
  // Another process sees an invalidation once its notice arrived (one round trip). One made while the store
  // is unreachable (or whose notice is in flight when it goes) reaches the fleet after recovery: the probe's
  // round trip, then the re-sent invalidation's (and every process drops its L1 on recovery anyway).
  const visibleAt = (at: number): number => {
    const o = setup.outage;
    if (o !== undefined && at + RTT >= o.at_ms && at < o.at_ms + o.for_ms) return o.at_ms + o.for_ms + 2 * RTT + 1;
    return at + RTT;
  };
  for (const g of issued) {
    expect(g.settledAt, `get #${g.seq} never settled`).toBeDefined();
    if (g.error !== undefined) {
      expect(g.error).toBeInstanceOf(RefreshError);
      expect(String((g.error as RefreshError).message)).toMatch(/refresh|timed out/);
      continue;
    }
    const r = g.result!;
    const c = byId.get(r.value.id)!;
    expect(c.symbol).toBe(g.symbol);
    const age = g.settledAt! - c.resolvedAt!;
    expect(age).toBeLessThanOrEqual(config.max_stale_ms);
    expect(r.ageMs).toBeGreaterThanOrEqual(age - 1e-9);
    expect(r.ageMs).toBeLessThanOrEqual(age + 2 * RTT + 1e-9);
    if (r.status === 'fresh') expect(r.ageMs).toBeLessThanOrEqual(g.maxAge);
    const seen = invs.filter((i) => i.symbol === g.symbol && ((i.p === g.p && i.seq < g.seq) || (i.p !== g.p && visibleAt(i.at) < g.at)));
    const last = Math.max(-1, ...seen.map((i) => i.seq));
    expect(c.startSeq, `get #${g.seq} (p${g.p}) got REST call #${c.id} started at step ${c.startSeq}, invalidation seen at step ${last}`).toBeGreaterThan(last);
  }
  for (const cache of caches) {
    const st = cache.stats();
    expect(st.hits + st.staleHits + st.misses).toBe(st.gets);
    cache.close();
  }
}

describe('MDCache properties on a fleet sharing the simulated tier', () => {
  it('staleness bound, conservative ages and fleet-wide invalidation hold under random interleavings', async () => {
    const unhandled: unknown[] = [];
    const on = (r: unknown): void => void unhandled.push(r);
    process.on('unhandledRejection', on);
    try {
      await fc.assert(
        fc.asyncProperty(setupArb, fc.array(cmdArb, { minLength: 1, maxLength: 50 }), async (setup, cmds) => run(setup, cmds)),
        { numRuns: Number(process.env.PROP_RUNS ?? 400), timeout: 5000, seed: process.env.PROP_SEED ? Number(process.env.PROP_SEED) : undefined },
      );
      await new Promise((r) => setImmediate(r));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', on);
    }
  });
});
