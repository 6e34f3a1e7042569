/**
 * The fault matrix (issue #15): every fault kind the project can inject, each run through the whole tick
 * pipeline with the cache — in virtual time on the synthetic market (its own fault injection), and live: the
 * WebSocket book and the cache against the loopback exchange on real sockets — with invariants checked on
 * every tick that got a book from the cache:
 *   stale         no book served older than max_stale_ms (ttl_ms when stale serving is off)
 *   invalidated   no book served that was taken before its symbol's last invalidation (one made before the
 *                 tick asked the cache)
 *   unhandled     no unhandled promise rejection during the run
 *   memory        heap growth during the run stays under MEMORY_BOUND_MB; live, the exchange's queue for any
 *                 WebSocket client stays under its send-buffer bound plus one frame (a slow reader is dropped)
 *   truth         a book equals the ground truth at its update id: every freshly fetched book (virtual), the
 *                 WebSocket book after every resync (live)
 *   retry-after   the cache calls the cached path's REST source only while no Retry-After (429 / 418) it
 *                 received is running: nothing is sent during a ban (the cache fails fast and holds back)
 */
import { expect } from 'vitest';
import { RealClock, VirtualClock, ZeroedClock, type Clock } from '../../src/core/clock.js';
import type { OrderBook } from '../../src/market/book.js';
import type { Invalidatable } from '../../src/cache/types.js';
import type { MdCacheConfig } from '../../src/config/md-cache.js';
import { parseBenchScenario, type BenchScenario } from '../../src/sim/bench-scenario.js';
import { Simulation, type SimMarket } from '../../src/sim/simulate.js';
import { feedMarket } from '../../src/sim/synthetic-market.js';
import { createMarket } from '../../src/scenario/scenario.js';
import type { MarketFeed } from '../../src/market/feed.js';
import type { TickObserver } from '../../src/pipeline/tick-path.js';
import type { SnapshotSource } from '../../src/pipeline/fetch-md.js';
import { WS_MAX_SEND_BUFFER, startExchange, type Exchange } from '../../src/exchange/server.js';
import { connectLiveMarket, type LiveMarket } from '../../src/net/live-market.js';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { WebSocket } from 'ws';

export const INVARIANTS = ['stale', 'invalidated', 'unhandled', 'memory', 'truth', 'retry-after'] as const;
export type Invariant = (typeof INVARIANTS)[number];
export const MEMORY_BOUND_MB = 256;

export interface FaultCase {
  name: string;
  /** What is injected, for the table. */
  what: string;
  market?: Record<string, unknown>;
  rest?: Record<string, unknown>;
  pipeline?: Record<string, unknown>;
  /** Loopback exchange only: malformed-frame/body rate, Retry-After seconds, per-client send-buffer bound, stream intervals. */
  exchange?: { malformedRate?: number; retryAfterS?: number; maxSendBufferBytes?: number; streamIntervalsMs?: { depth?: number; depth100ms?: number }; truthHistory?: number };
  /**
   * A WebSocket reader that falls behind (live only): `other` — another client subscribed to every stream
   * that never reads; `ws-book` — the cache's own WsBook, behind a TCP relay that stops reading from the
   * exchange when the run starts, until the exchange drops the connection (the next one flows).
   */
  slowReader?: { who: 'other' | 'ws-book' };
  /** Where the fault can be injected. */
  modes: Array<'virtual' | 'live'>;
  /** Live run length (default 4 s). */
  liveMs?: number;
  /** Symbols (default 3 virtual, 2 live). */
  symbols?: number;
  /** Responses the fault must provoke (checked besides the invariants): 429s, 418s (a case without 418 must get none). */
  provokes?: { status: Array<429 | 418> };
  /**
   * Ticks go to the cached path only (no uncached path). Live, every REST client of the run shares the
   * exchange's weight window (one IP); without the uncached path the cached path's source and the WsBook's are
   * the only ones.
   */
  cachedPathOnly?: boolean;
}

const quiet = { seq_gap: { rate_hz: 0 } };

/** Every fault kind the project can inject (synthetic market faults, REST faults, exchange-only faults). */
export const FAULTS: FaultCase[] = [
  { name: 'none', what: 'no fault (control)', modes: ['virtual', 'live'], market: { faults: quiet } },
  { name: 'ws_silence', what: 'a symbol stream goes silent 0.3–1.5 s, 2/s', modes: ['virtual', 'live'], market: { faults: { ws_silence: { rate_hz: 2, min_ms: 300, max_ms: 1500 } } } },
  { name: 'seq_gap', what: 'events lost (a U/u gap), 10/s', modes: ['virtual', 'live'], market: { faults: { seq_gap: { rate_hz: 10, events: 2 } } } },
  { name: 'out_of_order', what: 'an event overtaken by the next, 5/s', modes: ['virtual', 'live'], market: { faults: { out_of_order: { rate_hz: 5 } } } },
  { name: 'jump', what: 'the price jumps 50 ticks, 2/s', modes: ['virtual', 'live'], market: { faults: { price_jump: { rate_hz: 2, ticks: 50 } } } },
  { name: 'crossed', what: 'a crossed glitch (bid ≥ ask), 3/s', modes: ['virtual', 'live'], market: { faults: { crossed: { rate_hz: 3, ticks: 2 } } } },
  { name: 'disconnect storm', what: 'the feed disconnects 1/s for 100–400 ms', modes: ['virtual', 'live'], market: { faults: { disconnect: { rate_hz: 1, min_ms: 100, max_ms: 400 } } } },
  { name: 'REST 5xx', what: '30 % of snapshots fail (5xx; on the exchange also 429)', modes: ['virtual', 'live'], rest: { error_rate: 0.3 } },
  { name: 'REST 429 + Retry-After', what: 'every failing snapshot may be a 429 with Retry-After: 0.2 s', modes: ['live'], rest: { error_rate: 0.5 }, exchange: { retryAfterS: 0.2 } },
  { name: 'REST timeout', what: '10 % of snapshots take 300–600 ms against a 150 ms timeout', modes: ['virtual', 'live'], rest: { timeout_ms: 150, latency: { model: 'mixture', components: [{ weight: 0.9, model: 'constant', ms: 5 }, { weight: 0.1, model: 'uniform', min_ms: 300, max_ms: 600 }] } } },
  { name: 'REST hang', what: '5 % of snapshots never answer in time (60 s) against a 150 ms timeout', modes: ['virtual', 'live'], rest: { timeout_ms: 150, latency: { model: 'mixture', components: [{ weight: 0.95, model: 'constant', ms: 5 }, { weight: 0.05, model: 'constant', ms: 60_000 }] } } },
  // rest.rate_limit: the venue's rolling weight window (src/market/rate-limit.ts), 100 weight = 20 snapshots a
  // minute (live: the exchange enforces it per client IP; the WsBook's exchangeInfo and first sync take 70 of
  // it). One symbol, one request at a time: the first 429's Retry-After (tens of seconds) is beyond the retry
  // budget, so the cache fails fast and sends nothing until it ends → 429s, never a ban.
  { name: 'REST 429 (weight limit)', what: 'rest.rate_limit 100 weight/min, 1 symbol: 429 + Retry-After, no ban', modes: ['virtual', 'live'], symbols: 1, cachedPathOnly: true, rest: { rate_limit: { weight_per_min: 100 } }, provokes: { status: [429] } },
  // Three symbols refresh concurrently: a request already in flight when the 429 is decided arrives during its
  // Retry-After → 418, banned 2 min: every request of the client stops (the cache serves stale, then misses).
  { name: 'REST 418 (ban)', what: 'rest.rate_limit 100 weight/min, 3 symbols, REST ~100 ms: requests in flight at the 429 are banned (418)', modes: ['virtual'], symbols: 3, rest: { rate_limit: { weight_per_min: 100 }, latency: { model: 'lognormal', p50_ms: 100, p95_ms: 150 } }, provokes: { status: [429, 418] } },
  // Live: on loopback a 429 reaches its client within a millisecond, so the ban comes from a second REST
  // client of the same IP that does not know the first one's Retry-After — here the uncached path's source
  // (as in one process with several venue clients). After the 429 the other client's next request is banned
  // (2 min); the cache, told 429 or 418, fails fast and sends nothing for the rest of the run.
  { name: 'REST 418 (two REST clients)', what: 'rest.rate_limit 300 weight/min, 2 symbols, uncached and cached paths on one IP: the second client is banned (418)', modes: ['live'], rest: { rate_limit: { weight_per_min: 300 } }, provokes: { status: [429, 418] } },
  { name: 'malformed JSON', what: '20 % of depth bodies and WS frames corrupted', modes: ['live'], exchange: { malformedRate: 0.2 } },
  { name: 'slow WS reader (another client)', what: 'a second client subscribed to every stream stops reading; the exchange bounds its queue (64 KiB) and drops it', modes: ['live'], market: { update_rate_hz: 1000, faults: quiet }, exchange: { maxSendBufferBytes: 64 * 1024, streamIntervalsMs: { depth: 0, depth100ms: 0 }, truthHistory: 50_000 }, slowReader: { who: 'other' }, liveMs: 8000 },
  { name: 'slow WS reader (our WsBook)', what: "the cache's WsBook stops reading when the run starts; the exchange drops it (64 KiB), it reconnects and resyncs", modes: ['live'], market: { update_rate_hz: 2000, faults: quiet }, exchange: { maxSendBufferBytes: 64 * 1024, streamIntervalsMs: { depth: 0, depth100ms: 0 }, truthHistory: 50_000 }, slowReader: { who: 'ws-book' }, liveMs: 10_000 },
  { name: 'slow consumer', what: 'pipeline stages 4× slower than the tick rate (queueing)', modes: ['virtual', 'live'], pipeline: { ticks: { arrival: 'fixed', rate_hz: 20 }, stages: [{ name: 'slow', latency: { model: 'constant', ms: 200 } }], deadline_ms: 1000, on_busy: 'queue' } },
];

export interface CaseResult {
  fault: string;
  mode: 'virtual' | 'live';
  ticks: number;
  servedFromCache: number;
  checkedTruth: number;
  violations: Record<Invariant, number>;
  heapGrowthMb: number;
  /** Live: WebSocket clients the exchange dropped as too slow, and the largest queue it held for one client (KiB). */
  slowDropped: number;
  maxQueuedKib: number;
  /** Live: books the WsBook synced again after a disconnect during the run. */
  resyncs: number;
  examples: string[];
  /** HTTP 429 and 418 responses the cached path's REST source got. */
  rateLimited: number;
  banned: number;
}

/** `cachedPathOnly`: every tick goes to the cached path only. */
function routeOf(c: FaultCase): { route?: () => { uncached: boolean; cached: boolean } } {
  return c.cachedPathOnly ? { route: () => ({ uncached: false, cached: true }) } : {};
}

function scenarioFor(c: FaultCase, symbols: number): BenchScenario {
  const sym = [
    { symbol: 'BTCUSDT', tick_size: '0.01', price: '65000.00', qty_decimals: 5 },
    { symbol: 'SOLUSDT', tick_size: '0.001', price: '150.000', qty_decimals: 3 },
    { symbol: 'ETHUSDT', tick_size: '0.01', price: '3000.00', qty_decimals: 4 },
  ].slice(0, symbols);
  return parseBenchScenario(
    {
      name: `fault-${c.name}`,
      seed: 7,
      symbols: sym,
      market: { update_rate_hz: 40, diffusion_ticks: 1, depth: { levels: 40 }, ...c.market },
      rest: { latency: { model: 'lognormal', p50_ms: 10, p95_ms: 30 }, error_rate: 0, timeout_ms: 500, ...c.rest },
      pipeline: c.pipeline ?? { ticks: { arrival: 'jitter', rate_hz: 20, jitter_pct: 20 }, stages: [{ name: 'work', latency: { model: 'lognormal', p50_ms: 5, p95_ms: 10 } }], deadline_ms: 200, on_busy: 'queue' },
      md_cache: { enabled: true, ttl_ms: 100, stale_ok: true, max_stale_ms: 400, max_inflight_refresh: 1, invalidate_on_ws_gap_ms: 250, jump_ticks: 20, retry: { max_attempts: 2, base_ms: 10, max_ms: 50 } },
    },
    `fault ${c.name}`,
  );
}

interface Checker {
  market: SimMarket<OrderBook>;
  observer: TickObserver<OrderBook>;
  result: CaseResult;
  finish(): void;
}

/**
 * Wraps a market: records every invalidation (symbol → time) the invalidator makes, and returns an observer
 * that checks the invariants on every tick of the cached path.
 */
function checker(market: SimMarket<OrderBook>, clock: Clock, cfg: MdCacheConfig, fault: string, mode: 'virtual' | 'live', truthOf?: (symbol: string, book: OrderBook) => boolean | undefined): Checker {
  /** Invalidation times per symbol ('*' = invalidateAll), increasing. */
  const invAt = new Map<string, number[]>();
  const record = (key: string, t: number): void => {
    let l = invAt.get(key);
    if (!l) invAt.set(key, (l = []));
    l.push(t);
  };
  /** The last invalidation of `symbol` strictly before time t (at the same instant the order is not observable here). */
  const lastInvalidation = (symbol: string, t: number): number => {
    let best = -Infinity;
    for (const key of [symbol, '*']) {
      const l = invAt.get(key);
      if (!l) continue;
      for (let i = l.length - 1; i >= 0; i--)
        if (l[i]! < t) {
          best = Math.max(best, l[i]!);
          break;
        }
    }
    return best;
  };
  const v: Record<Invariant, number> = { stale: 0, invalidated: 0, unhandled: 0, memory: 0, truth: 0, 'retry-after': 0 };
  const result: CaseResult = { fault, mode, ticks: 0, servedFromCache: 0, checkedTruth: 0, violations: v, heapGrowthMb: 0, slowDropped: 0, maxQueuedKib: 0, resyncs: 0, examples: [], rateLimited: 0, banned: 0 };
  const note = (inv: Invariant, msg: string): void => {
    v[inv]++;
    if (result.examples.length < 5) result.examples.push(`${inv}: ${msg}`);
  };
  const maxAge = (cfg.stale_ok ? Math.max(cfg.max_stale_ms, cfg.ttl_ms) : cfg.ttl_ms) + (mode === 'live' ? 5 : 0);
  const heap0 = process.memoryUsage().heapUsed;
  let heapMax = heap0;
  const onUnhandled = (reason: unknown): void => note('unhandled', String(reason instanceof Error ? reason.message : reason));
  process.on('unhandledRejection', onUnhandled);

  // The cached path's REST source: every call is checked against the Retry-Afters it has answered (429 / 418 with
  // `retryAfterMs`; a refusal by the client itself is not a new one). Live, clocks are read a moment apart (the
  // cache reads a 1 ms coarse clock): 5 ms of slack.
  let blockedUntil = -Infinity;
  const slack = mode === 'live' ? 5 : 0;
  const watched = (src: SnapshotSource<OrderBook>): SnapshotSource<OrderBook> => ({
    fetch(symbol, depth, signal) {
      const t = clock.now();
      if (t < blockedUntil - slack) note('retry-after', `${symbol}: the cache called REST at t=${t.toFixed(1)} during a Retry-After running until ${blockedUntil.toFixed(1)}`);
      return src.fetch(symbol, depth, signal).catch((err: unknown) => {
        const e = err as { retryAfterMs?: unknown; local?: unknown } | null;
        if (typeof e?.retryAfterMs === 'number' && e.retryAfterMs > 0 && e.local !== true) blockedUntil = Math.max(blockedUntil, clock.now() + e.retryAfterMs);
        throw err;
      });
    },
  });

  const wrapped: SimMarket<OrderBook> = {
    symbols: market.symbols,
    advanceTo: (s, t) => market.advanceTo(s, t),
    source: (p, arm) => (p === 'cached' ? watched(market.source(p, arm)) : market.source(p, arm)),
    quality: market.quality,
    attachInvalidator(c, conf) {
      const spy: Invalidatable<OrderBook> = {
        invalidate(symbol, reason) {
          record(symbol, clock.now());
          c.invalidate(symbol, reason);
        },
        invalidateAll(reason) {
          record('*', clock.now());
          c.invalidateAll(reason);
        },
        peek: (s) => c.peek(s),
      };
      return market.attachInvalidator(spy, conf);
    },
  };

  const observer: TickObserver<OrderBook> = {
    fetched(tick, fetchMs, r) {
      result.ticks++;
      if ((result.ticks & 63) === 0) heapMax = Math.max(heapMax, process.memoryUsage().heapUsed);
      const book = r.book;
      // judged at the moment the tick asked the cache (the observer runs when the answer arrived)
      const asked = clock.now() - fetchMs;
      if (r.status === 'fresh' || r.status === 'stale') {
        result.servedFromCache++;
        const age = asked - book.takenAt;
        if (age > maxAge) note('stale', `${tick.symbol} served ${age.toFixed(1)} ms old at t=${asked.toFixed(1)} (bound ${maxAge} ms, status ${r.status})`);
        const inv = lastInvalidation(tick.symbol, asked);
        if (book.takenAt < inv) note('invalidated', `${tick.symbol} served at t=${asked.toFixed(1)} a book taken at ${book.takenAt.toFixed(1)}, before an invalidation at ${inv.toFixed(1)}`);
      } else if (r.status === 'miss' && truthOf) {
        const ok = truthOf(tick.symbol, book);
        if (ok !== undefined) {
          result.checkedTruth++;
          if (!ok) note('truth', `${tick.symbol} fresh book id ${book.lastUpdateId} differs from the truth`);
        }
      }
    },
    fetchFailed() {
      result.ticks++;
    },
    stage() {},
    done() {},
    dropped() {},
  };
  return {
    market: wrapped,
    observer,
    result,
    finish() {
      process.off('unhandledRejection', onUnhandled);
      heapMax = Math.max(heapMax, process.memoryUsage().heapUsed);
      result.heapGrowthMb = Math.round(((heapMax - heap0) / 2 ** 20) * 10) / 10;
      if (result.heapGrowthMb > MEMORY_BOUND_MB) note('memory', `heap grew ${result.heapGrowthMb} MB`);
    },
  };
}

/** The fault in virtual time: the synthetic market's injection, 60 simulated seconds, 3 symbols. */
export async function runVirtual(c: FaultCase, durationMs = 60_000): Promise<CaseResult> {
  const bench = scenarioFor(c, c.symbols ?? 3);
  const clock = new VirtualClock(0);
  const feed: MarketFeed = createMarket(bench.scenario, { seed: bench.scenario.seed });
  const market = feedMarket({ clock, feed, rest: bench.scenario.rest, seed: bench.scenario.seed });
  // a fresh book from REST is the ground truth at its update id, as of the moment it was taken
  const truthOf = (symbol: string, book: OrderBook): boolean | undefined => {
    const t = feed.snapshot(symbol, book.depth);
    if (t.lastUpdateId !== book.lastUpdateId) return undefined; // the market moved since: not comparable
    return t.sameLevels(book);
  };
  const ck = checker(market, clock, bench.mdCache, c.name, 'virtual', truthOf);
  const sim = new Simulation({ clock, market: ck.market, pipeline: bench.pipeline, mdCache: bench.mdCache, seed: bench.scenario.seed, durationMs, windowMs: 1000, observers: { cached: ck.observer }, ...routeOf(c) });
  await sim.runUntil(durationMs);
  await sim.finish();
  ck.finish();
  const rest = market.restStats().cached;
  ck.result.rateLimited = rest.rateLimited;
  ck.result.banned = rest.banned;
  return ck.result;
}

/**
 * The fault live: the loopback exchange injects it on real sockets; the bench's live market (REST source,
 * WsBook, invalidator) feeds the cache on real time; after every resync of the WebSocket book its book is
 * compared with the exchange's ground truth at the same update id.
 */
export async function runLive(c: FaultCase, durationMs = c.liveMs ?? 4000): Promise<CaseResult> {
  const bench = scenarioFor(c, c.symbols ?? 2);
  const host = new RealClock();
  /** Called (once the run is under way) when the exchange drops a WebSocket client as too slow. */
  let onSlowDrop = (): void => undefined;
  const ex: Exchange = await startExchange({
    onSlowClientDropped: () => onSlowDrop(),
    scenario: bench.scenario,
    clock: host,
    malformedRate: c.exchange?.malformedRate ?? 0,
    retryAfterS: c.exchange?.retryAfterS ?? 1,
    ...(c.exchange?.maxSendBufferBytes !== undefined ? { maxSendBufferBytes: c.exchange.maxSendBufferBytes } : {}),
    ...(c.exchange?.streamIntervalsMs ? { streamIntervalsMs: c.exchange.streamIntervalsMs } : {}),
    ...(c.exchange?.truthHistory !== undefined ? { truthHistory: c.exchange.truthHistory } : {}),
  });
  let live: LiveMarket | undefined;
  let slow: { close(): Promise<void> } | undefined;
  let relay: Awaited<ReturnType<typeof stallingRelay>> | undefined;
  try {
    for (const s of ex.symbols) await fetch(`${ex.restUrl}/_truth?symbol=${s}`); // start the truth history
    let wsUrl = ex.wsUrl;
    if (c.slowReader?.who === 'ws-book') {
      relay = await stallingRelay(ex);
      slow = relay;
      wsUrl = relay.url;
    }
    live = await connectLiveMarket({ restUrl: ex.restUrl, wsUrl, symbols: ex.symbols, clock: host, restTimeoutMs: bench.scenario.rest.timeout_ms, wsBook: { reconnect: { baseMs: 20, maxMs: 200 }, resync: { baseMs: 20, maxMs: 200 }, silenceMs: bench.mdCache.invalidate_on_ws_gap_ms }, syncTimeoutMs: 30_000 });
    if (c.slowReader?.who === 'other') slow = await silentReader(ex);
    relay?.stall(); // the WsBook, synced, stops reading: the exchange's queue for it fills, it is dropped
    const clock = new ZeroedClock(host);
    const ck = checker(live, clock, bench.mdCache, c.name, 'live');
    // truth after every resync of the WebSocket book
    const checks: Promise<void>[] = [];
    const wsBook = live.wsBook;
    const compare = (symbol: string): void => {
      const book = wsBook.book(symbol);
      if (!book) return;
      checks.push(
        fetch(`${ex.restUrl}/_truth?symbol=${symbol}&id=${book.lastUpdateId}`)
          .then(async (r) => {
            if (r.status !== 200) return; // the id fell out of the truth history: not comparable
            const t = (await r.json()) as { bids: [string, string][]; asks: [string, string][] };
            ck.result.checkedTruth++;
            const same = (a: [string, string][], b: [string, string][]): boolean => a.length === b.length && a.every((l, i) => l[0] === b[i]![0] && Number(l[1]) === Number(b[i]![1]));
            const snap = book.toSnapshot();
            // the local book holds the levels of its snapshot depth; compare what both know
            const n = Math.min(snap.bids.length, t.bids.length, 50);
            const m = Math.min(snap.asks.length, t.asks.length, 50);
            if (!same(snap.bids.slice(0, n), t.bids.slice(0, n)) || !same(snap.asks.slice(0, m), t.asks.slice(0, m))) {
              ck.result.violations.truth++;
              if (ck.result.examples.length < 5) ck.result.examples.push(`truth: ${symbol} local book at id ${book.lastUpdateId} differs from the exchange's`);
            }
          })
          .catch(() => undefined),
      );
    };
    // A slow-reader row runs past durationMs (up to 30 s more) until the exchange has dropped the reader and, for
    // our WsBook, every book has synced again: on loopback the kernel's buffers take a few MB first, so the drop
    // comes after a time that depends on the machine. No polling: the run is stopped (its abort signal) by the
    // event that completes it — the exchange's drop, the WsBook's last resync, or the end of durationMs.
    const slowDone = (): boolean => !c.slowReader || (ex.stats().slowClients.dropped > 0 && (c.slowReader.who !== 'ws-book' || ck.result.resyncs >= ex.symbols.length));
    const maxMs = c.slowReader ? durationMs + 30_000 : durationMs;
    const stop = new AbortController();
    let ranLength = false;
    const maybeStop = (): void => {
      if (c.slowReader && ranLength && slowDone()) stop.abort(new Error('the slow reader was dropped (and our WsBook resynced)'));
    };
    onSlowDrop = maybeStop;
    let disconnected = false;
    const off = wsBook.onEvent((e) => {
      if (e.type === 'disconnect') disconnected = true;
      if (e.type === 'synced') {
        if (disconnected) ck.result.resyncs++;
        compare(e.symbol);
        maybeStop();
      }
    });
    const sim = new Simulation({ clock, market: ck.market, pipeline: bench.pipeline, mdCache: bench.mdCache, seed: bench.scenario.seed, durationMs: maxMs, windowMs: 500, observers: { cached: ck.observer }, signal: stop.signal, ...routeOf(c) });
    const lengthTimer = clock.setTimeout(() => {
      ranLength = true;
      maybeStop();
    }, durationMs);
    await sim.runUntil(maxMs);
    clock.clearTimeout(lengthTimer);
    onSlowDrop = () => undefined;
    await sim.finish();
    off();
    for (const sym of ex.symbols) compare(sym); // and once at the end
    await Promise.all(checks);
    ck.finish();
    const sc = ex.stats().slowClients;
    ck.result.slowDropped = sc.dropped;
    ck.result.maxQueuedKib = Math.round(sc.maxBufferedBytes / 1024);
    // the exchange's memory for one client: its send-buffer bound plus the one frame that crossed it
    const bound = (c.exchange?.maxSendBufferBytes ?? WS_MAX_SEND_BUFFER) + 64 * 1024;
    if (sc.maxBufferedBytes > bound) {
      ck.result.violations.memory++;
      ck.result.examples.push(`memory: the exchange queued ${sc.maxBufferedBytes} bytes for one WebSocket client (bound ${bound})`);
    }
    // the exchange's 429/418 counts (the scenario's error_rate 429s included); only this client talks to it
    ck.result.rateLimited = ex.stats().rest.rateLimited;
    ck.result.banned = ex.stats().rest.banned;
    return ck.result;
  } finally {
    await live?.close();
    await slow?.close();
    await ex.close();
  }
}

/** A WebSocket client subscribed to every stream of the exchange that never reads a byte after the handshake. */
async function silentReader(ex: Exchange): Promise<{ close(): Promise<void> }> {
  const streams = ex.symbols.flatMap((s) => [`${s.toLowerCase()}@depth`, `${s.toLowerCase()}@depth@100ms`]).join('/');
  const ws = new WebSocket(`${ex.wsUrl}/stream?streams=${streams}`);
  ws.on('error', () => undefined); // dropped by the exchange: expected
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.pause(); // stop reading from the socket: the kernel buffers fill, then the exchange's queue grows
  return {
    close: async () => {
      ws.terminate();
    },
  };
}

/**
 * A TCP relay in front of the exchange's WebSocket port, forwarding both ways; `stall()` makes it stop reading
 * from the exchange on every connection open at that moment — the client behind it (the WsBook) has become a
 * reader that fell behind. When the exchange drops such a connection the relay closes the client's side; the
 * client's next connection is relayed normally.
 */
async function stallingRelay(ex: Exchange): Promise<{ url: string; stall(): void; close(): Promise<void> }> {
  const open = new Set<{ up: Socket; down: Socket; stalled: boolean }>();
  const server: Server = createServer((down) => {
    const up = connect(ex.port, ex.host);
    const conn = { up, down, stalled: false };
    open.add(conn);
    const end = (): void => {
      up.destroy();
      down.destroy();
      open.delete(conn);
    };
    up.on('data', (d) => {
      if (!down.write(d)) up.pause();
    });
    down.on('drain', () => {
      if (!conn.stalled) up.resume();
    });
    down.on('data', (d) => up.write(d));
    for (const s of [up, down]) {
      s.on('close', end);
      s.on('error', end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${port}`,
    stall() {
      for (const c of open) {
        c.stalled = true;
        c.up.pause();
      }
    },
    close: async () => {
      for (const c of [...open]) {
        c.up.destroy();
        c.down.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function matrixTable(rows: CaseResult[]): string {
  const head = `| fault | mode | ticks | served from cache | books checked vs truth | ${INVARIANTS.map((i) => `${i} violations`).join(' | ')} | heap growth | 429 / 418 | slow WS clients dropped | max queued per client |`;
  const sep = `|---|---|---:|---:|---:|${INVARIANTS.map(() => '---:').join('|')}|---:|---:|---:|---:|`;
  const body = rows.map((r) => `| ${r.fault} | ${r.mode} | ${r.ticks} | ${r.servedFromCache} | ${r.checkedTruth} | ${INVARIANTS.map((i) => r.violations[i]).join(' | ')} | ${r.heapGrowthMb} MB | ${r.rateLimited} / ${r.banned} | ${r.mode === 'live' ? r.slowDropped : '–'} | ${r.mode === 'live' ? `${r.maxQueuedKib} KiB` : '–'} |`);
  return [head, sep, ...body].join('\n');
}

/**
 * Records a row and asserts it is clean: no violation of any invariant, and ticks were checked; a case that
 * `provokes` 429s / 418s got them (and a 429-only case no ban).
 */
export function expectClean(r: CaseResult, rows: CaseResult[], c?: FaultCase): void {
  rows.push(r);
  expect(r.examples).toEqual([]);
  expect(Object.values(r.violations).reduce((a, b) => a + b, 0)).toBe(0);
  expect(r.ticks).toBeGreaterThan(0);
  const p = c?.provokes;
  if (p) {
    if (p.status.includes(429)) expect(r.rateLimited, `${r.fault}: 429s`).toBeGreaterThan(0);
    if (p.status.includes(418)) expect(r.banned, `${r.fault}: 418s`).toBeGreaterThan(0);
    else expect(r.banned, `${r.fault}: no ban`).toBe(0);
  }
}

/** With FAULTS_TABLE set, prints the rows of one test file (virtual or live) as the README's table. */
export function printTable(mode: 'virtual' | 'live', rows: CaseResult[]): void {
  if (process.env.FAULTS_TABLE && rows.length > 0) process.stdout.write(`\nFault matrix, ${mode} rows (violations per invariant; every tick checked)\n\n${matrixTable(rows)}\n\n`);
}
