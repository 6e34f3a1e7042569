/**
 * Property tests: random interleavings of get / invalidate / invalidateAll / clock advance and refresh
 * success, failure and delay (a fake refresh whose promises the test settles), on the VirtualClock.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { VirtualClock } from '../../src/core/clock.js';
import { RefreshError } from '../../src/core/errors.js';
import { mdCacheConfig, type MdCacheConfig } from '../../src/config/md-cache.js';
import { MDCache } from '../../src/cache/md-cache.js';
import type { GetResult, RefreshContext } from '../../src/cache/types.js';

const SYMBOLS = ['A', 'B', 'C'];

type Cmd =
  | { t: 'get'; s: number; depth?: number; maxAgeMs?: number }
  | { t: 'getEdge'; s: number; d: number }
  | { t: 'invalidate'; s: number }
  | { t: 'invalidateAll' }
  | { t: 'advance'; ms: number }
  | { t: 'resolve'; k: number }
  | { t: 'reject'; k: number };

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant('get' as const), s: fc.nat(2), depth: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }), maxAgeMs: fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }) }, { requiredKeys: ['t', 's'] }) },
  // a get whose maxAgeMs is set relative to the entry's current age (probes the fresh/stale boundary)
  { weight: 2, arbitrary: fc.record({ t: fc.constant('getEdge' as const), s: fc.nat(2), d: fc.integer({ min: -2, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('invalidate' as const), s: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('invalidateAll' as const) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 250 })) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('resolve' as const), k: fc.nat(5) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('reject' as const), k: fc.nat(5) }) },
);

const configArb: fc.Arbitrary<MdCacheConfig> = fc
  .record({
    ttl_ms: fc.integer({ min: 10, max: 200 }),
    extraStale: fc.integer({ min: 0, max: 400 }),
    stale_ok: fc.boolean(),
    max_inflight_refresh: fc.integer({ min: 1, max: 3 }),
    hedge_after_ms: fc.oneof(fc.constant(0), fc.integer({ min: 10, max: 120 })),
    refresh_timeout_ms: fc.integer({ min: 20, max: 400 }),
    max_attempts: fc.integer({ min: 1, max: 3 }),
    base_ms: fc.integer({ min: 0, max: 30 }),
    max_symbols: fc.integer({ min: 1, max: 4 }),
    max_depth: fc.integer({ min: 5, max: 30 }),
  })
  .map((r) =>
    mdCacheConfig({
      enabled: true,
      ttl_ms: r.ttl_ms,
      max_stale_ms: r.ttl_ms + r.extraStale,
      stale_ok: r.stale_ok,
      max_inflight_refresh: r.max_inflight_refresh,
      hedge_after_ms: r.max_inflight_refresh > 1 ? r.hedge_after_ms : 0,
      refresh_timeout_ms: r.refresh_timeout_ms,
      max_symbols: r.max_symbols,
      max_depth: r.max_depth,
      retry: { max_attempts: r.max_attempts, base_ms: r.base_ms, max_ms: r.base_ms * 4 },
    }),
  );

interface Call {
  id: number;
  symbol: string;
  depth: number;
  signal: AbortSignal;
  startSeq: number;
  settled: boolean;
  resolvedAt?: number;
  resolve(): void;
  reject(): void;
}

interface Issued {
  symbol: string;
  seq: number;
  maxAge: number;
  depth: number;
  result?: GetResult<{ id: number; depth: number }>;
  settledAt?: number;
  error?: unknown;
}

async function runScenario(config: MdCacheConfig, cmds: Cmd[], seed: number): Promise<void> {
  const clock = new VirtualClock();
  let seq = 0;
  const calls: Call[] = [];
  const inflight = (s: string) => calls.filter((c) => c.symbol === s && !c.settled && !c.signal.aborted).length;
  const violations: string[] = [];
  const checkInflight = (): void => {
    for (const s of SYMBOLS) {
      const n = inflight(s);
      if (n > config.max_inflight_refresh) violations.push(`${n} refreshes in flight for ${s} (limit ${config.max_inflight_refresh})`);
    }
  };
  const refresh = (symbol: string, ctx: RefreshContext) =>
    new Promise<{ id: number; depth: number }>((resolve, reject) => {
      const id = calls.length + 1;
      const call: Call = {
        id,
        symbol,
        depth: ctx.depth,
        signal: ctx.signal,
        startSeq: seq,
        settled: false,
        resolve() {
          if (call.settled) return;
          call.settled = true;
          call.resolvedAt = clock.now();
          resolve({ id, depth: ctx.depth });
        },
        reject() {
          if (call.settled) return;
          call.settled = true;
          reject(new Error(`refresh ${id} failed`));
        },
      };
      calls.push(call);
      checkInflight();
    });
  let r = seed >>> 0;
  const random = (): number => ((r = (Math.imul(r, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const cache = new MDCache(config, { refresh, clock, registry: new Registry(), random });
  const issued: Issued[] = [];
  const invSeqs = new Map<string, number[]>(SYMBOLS.map((s) => [s, []]));

  const pendingCalls = () => calls.filter((c) => !c.settled && !c.signal.aborted);
  for (let cmd of cmds) {
    seq++;
    switch (cmd.t) {
      case 'getEdge':
      case 'get': {
        const symbol = SYMBOLS[cmd.s]!;
        if (cmd.t === 'getEdge') {
          const held = cache.peek(symbol);
          cmd = { t: 'get', s: cmd.s, maxAgeMs: held ? Math.max(0, held.ageMs - cmd.d) : undefined };
        }
        const rec: Issued = {
          symbol,
          seq,
          maxAge: cmd.maxAgeMs ?? config.ttl_ms,
          depth: Math.min(cmd.depth ?? config.max_depth, config.max_depth),
        };
        issued.push(rec);
        cache.get(symbol, { depth: cmd.depth, maxAgeMs: cmd.maxAgeMs }).then(
          (res) => {
            rec.result = res;
            rec.settledAt = clock.now();
          },
          (err: unknown) => {
            rec.error = err;
            rec.settledAt = clock.now();
          },
        );
        break;
      }
      case 'invalidate':
        cache.invalidate(SYMBOLS[cmd.s]!, 'manual');
        invSeqs.get(SYMBOLS[cmd.s]!)!.push(seq);
        break;
      case 'invalidateAll':
        cache.invalidateAll('all');
        for (const s of SYMBOLS) invSeqs.get(s)!.push(seq);
        break;
      case 'advance':
        await clock.advance(cmd.ms);
        break;
      case 'resolve':
      case 'reject': {
        const p = pendingCalls();
        if (p.length > 0) {
          const c = p[cmd.k % p.length]!;
          if (cmd.t === 'resolve') c.resolve();
          else c.reject();
        }
        await clock.advance(0);
        break;
      }
    }
    checkInflight();
  }
  // Drain: every refresh left hanging times out, every retry runs; all gets settle.
  seq++;
  await clock.runUntilIdle();
  await clock.advance(0);
  checkInflight();

  expect(violations).toEqual([]);
  const callById = new Map(calls.map((c) => [c.id, c]));
  for (const g of issued) {
    expect(g.settledAt, `get #${g.seq} of ${g.symbol} never settled`).toBeDefined();
    if (g.error !== undefined) {
      expect(g.error).toBeInstanceOf(RefreshError);
      continue;
    }
    const res = g.result!;
    const c = callById.get(res.value.id)!;
    expect(c.symbol).toBe(g.symbol);
    expect(res.value.depth).toBeGreaterThanOrEqual(g.depth);
    const age = g.settledAt! - c.resolvedAt!;
    // the age reported is the value's real age, and it never exceeds the hard bound
    expect(res.ageMs).toBe(age);
    expect(age).toBeLessThanOrEqual(config.max_stale_ms);
    if (res.status === 'fresh') expect(age).toBeLessThanOrEqual(g.maxAge);
    // invalidation wins: no invalidation of this symbol between the refresh's start and the get
    const lastInvBeforeGet = Math.max(-1, ...invSeqs.get(g.symbol)!.filter((i) => i < g.seq));
    expect(c.startSeq, `get #${g.seq} got refresh #${c.id} started at step ${c.startSeq}, invalidated at ${lastInvBeforeGet}`).toBeGreaterThan(lastInvBeforeGet);
  }
  const st = cache.stats();
  expect(st.gets).toBe(issued.length);
  expect(st.hits + st.staleHits + st.misses + st.bypasses).toBe(st.gets);
  const statusCount = (s: string) => issued.filter((g) => g.result?.status === s).length;
  expect(st.hits).toBe(statusCount('fresh'));
  expect(st.staleHits).toBe(statusCount('stale'));
  expect(st.misses).toBe(statusCount('miss') + issued.filter((g) => g.error).length);
  // one definition of an invalidation: per-symbol counts sum to the totals (exactly, while nothing was evicted)
  const perSymbol: Record<string, number> = {};
  for (const s of SYMBOLS) for (const [k, n] of Object.entries(cache.stats(s).invalidations)) perSymbol[k] = (perSymbol[k] ?? 0) + n;
  if (st.evictions === 0) expect(perSymbol).toEqual(st.invalidations);
  else for (const [k, n] of Object.entries(perSymbol)) expect(n).toBeLessThanOrEqual(st.invalidations[k] ?? 0);
  expect(clock.pending()).toBe(0);
  expect(pendingCalls()).toEqual([]);
  cache.close();
}

describe('MDCache properties', () => {
  it('invariants hold under random interleavings', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      await fc.assert(
        fc.asyncProperty(configArb, fc.array(cmdArb, { minLength: 1, maxLength: 40 }), fc.integer(), async (config, cmds, seed) => {
          await runScenario(config, cmds, seed);
        }),
        { numRuns: Number(process.env.PROP_RUNS ?? 200), timeout: 3000, seed: process.env.PROP_SEED ? Number(process.env.PROP_SEED) : undefined },
      );
      await new Promise((r) => setImmediate(r));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('single-flight: any number of concurrent gets on a cold symbol cause one refresh', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2000 }), fc.boolean(), async (n, staleOk) => {
        const clock = new VirtualClock();
        let calls = 0;
        const cache = new MDCache<number>(mdCacheConfig({ enabled: true, stale_ok: staleOk }), {
          clock,
          registry: null,
          refresh: () => {
            calls++;
            return new Promise((res) => clock.setTimeout(() => res(calls), 5));
          },
        });
        const ps = Array.from({ length: n }, () => cache.get('X'));
        await clock.advance(5);
        const rs = await Promise.all(ps);
        expect(calls).toBe(1);
        expect(rs.every((x) => x.value === 1 && x.status === 'miss')).toBe(true);
      }),
      { numRuns: 50 },
    );
  });
});
