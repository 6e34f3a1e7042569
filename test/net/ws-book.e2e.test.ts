/**
 * End to end over loopback: the exchange (in-process, real sockets) under each fault, the WsBook and the
 * REST source against it, and the local book compared with the exchange's ground truth at the same
 * update id after every resync and every applied diff (sampled on the book's own events, not on a timer).
 */
import { describe, it, expect, afterEach } from 'vitest';
import { RealClock } from '../../src/core/clock.js';
import { startExchange, type Exchange, type ExchangeOptions } from '../../src/exchange/server.js';
import { BinanceRestSource } from '../../src/net/rest-source.js';
import { WsBook, type WsBookEvent, type WsBookOptions } from '../../src/net/ws-book.js';
import { MDCacheInvalidator, bookBest } from '../../src/market/invalidator.js';
import { driveInvalidator } from '../../src/net/live-market.js';
import type { OrderBook } from '../../src/market/book.js';
import { eventsOf, feedOf, scenario, waitFor, compareWithTruth, getJson } from './helpers.js';

const SYMBOLS = ['BTCUSDT', 'SOLUSDT'];
const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

interface Run {
  ex: Exchange;
  ws: WsBook;
  rest: BinanceRestSource;
  events: WsBookEvent[];
  checks: { compared: number; mismatches: unknown[] };
}

/**
 * Starts an exchange and a WsBook, runs for `ms` of the exchange's market time (awaited on its generator's
 * messages) comparing the local books with the truth after every 'synced' and every 'diff' event, then waits
 * until every symbol is synced again and compares a last time.
 */
async function run(ex: Partial<ExchangeOptions> & Pick<ExchangeOptions, 'scenario'>, ms: number, wsOpts: Partial<WsBookOptions> = {}, restTimeoutMs = 1000): Promise<Run> {
  const clock = new RealClock();
  const exchange = await startExchange({ clock, ...ex });
  open.push(exchange);
  for (const s of SYMBOLS) await getJson(`${exchange.restUrl}/_truth?symbol=${s}`); // start the truth history
  const rest = new BinanceRestSource({ baseUrl: exchange.restUrl, clock, timeoutMs: restTimeoutMs });
  const info = await rest.exchangeInfo();
  const ws = new WsBook({ wsUrl: exchange.wsUrl, symbols: SYMBOLS, exchangeInfo: info, snapshots: rest, clock, reconnect: { baseMs: 20, maxMs: 200 }, resync: { baseMs: 10, maxMs: 200 }, ...wsOpts });
  open.push(ws);
  const events: WsBookEvent[] = [];
  const checks = { compared: 0, mismatches: [] as unknown[] };
  const pending: Promise<void>[] = [];
  let done = false;
  const check = (symbol: string): void => {
    if (done) return;
    pending.push(
      compareWithTruth(exchange.restUrl, ws, symbol).then(
        (r) => {
          if (!r.compared) return;
          checks.compared++;
          if (!r.equal) checks.mismatches.push(r);
        },
        (err: unknown) => {
          checks.mismatches.push(String(err));
        },
      ),
    );
  };
  ws.onEvent((e) => {
    events.push(e);
    if (e.type === 'synced') check(e.symbol);
    // after the frame is fully handled: a diff that crossed the book is followed (synchronously) by its discard
    else if (e.type === 'diff') queueMicrotask(() => check(e.symbol));
  });
  ws.start();
  await ws.ready(10_000);
  const t0 = exchange.time();
  await waitFor(() => exchange.time() - t0 >= ms, `${ms} ms of the exchange's market`, [feedOf(exchange)], ms + 10_000);
  await waitFor(() => SYMBOLS.every((s) => ws.isSynced(s)), 'all symbols synced at the end', [eventsOf(ws)], 10_000);
  for (const s of SYMBOLS) check(s);
  done = true;
  await Promise.all(pending);
  return { ex: exchange, ws, rest, events, checks };
}

function expectTruth(r: Run, minCompared = 20): void {
  expect(r.checks.mismatches.slice(0, 1)).toEqual([]);
  expect(r.checks.compared).toBeGreaterThanOrEqual(minCompared);
}

describe('WsBook against the loopback exchange', () => {
  it('no faults: synced once per symbol, every diff applied, book equals the truth', async () => {
    const r = await run({ scenario: scenario() }, 1000);
    const st = r.ws.stats();
    expect(st.resyncs.initial).toBe(2);
    expect(st.gaps + st.malformed + st.reconnects).toBe(0);
    // @depth@100ms: about 10 aggregated frames per symbol per second (fewer on a loaded machine: late timers merge frames)
    expect(st.applied).toBeGreaterThan(6);
    expectTruth(r, 8); // ~10 distinct book ids per symbol per second on @depth@100ms, fewer on a loaded host
  });

  it('sequence gaps and out-of-order events: resync on every gap, never patched over', async () => {
    const r = await run({ scenario: scenario({ market: { faults: { seq_gap: { rate_hz: 4, events: 2 }, out_of_order: { rate_hz: 3 } } } }) }, 2000);
    const st = r.ws.stats();
    expect(r.ex.feed.stats().dropped.seq_gap).toBeGreaterThan(0);
    expect(r.ex.feed.stats().reordered).toBeGreaterThan(0);
    expect(st.gaps).toBeGreaterThan(3);
    expect(st.resyncs.gap).toBeGreaterThan(3);
    expect(r.events.filter((e) => e.type === 'synced').length).toBeGreaterThan(5);
    expectTruth(r);
  });

  it('crossed glitches: the crossed book is discarded and resynced', async () => {
    const r = await run({ scenario: scenario({ market: { faults: { crossed: { rate_hz: 3, ticks: 2 } } } }) }, 1500);
    const st = r.ws.stats();
    expect(r.ex.feed.stats().crossed).toBeGreaterThan(0);
    expect(st.crossed).toBeGreaterThan(0);
    expect(st.resyncs.crossed).toBeGreaterThan(0);
    expectTruth(r);
  });

  it('silence on a live connection: flagged per symbol; the book stays correct', async () => {
    const r = await run({ scenario: scenario({ market: { faults: { ws_silence: { rate_hz: 2, min_ms: 250, max_ms: 400 } } } }) }, 1500, { silenceMs: 150 });
    const st = r.ws.stats();
    expect(r.ex.feed.stats().silences).toBeGreaterThan(0);
    expect(st.silences).toBeGreaterThan(0);
    expect(st.reconnects).toBe(0);
    expectTruth(r);
  });

  it('disconnects: sockets closed, upgrades refused while down, reconnect with backoff resets the books', async () => {
    const r = await run({ scenario: scenario({ market: { faults: { disconnect: { rate_hz: 1.5, min_ms: 150, max_ms: 300 } } } }) }, 2500);
    const st = r.ws.stats();
    expect(r.ex.stats().disconnects).toBeGreaterThan(0);
    expect(st.disconnects).toBeGreaterThan(0);
    expect(st.reconnects).toBeGreaterThan(0);
    expect(st.resyncs.reconnect).toBeGreaterThanOrEqual(2 * st.reconnects);
    expect(r.ex.stats().ws.rejectedUpgrades).toBeGreaterThan(0);
    expectTruth(r);
  });

  it('REST errors (5xx and 429 with Retry-After): snapshot retried, Retry-After honoured', async () => {
    const r = await run({ scenario: scenario({ market: { faults: { seq_gap: { rate_hz: 3, events: 1 } } }, rest: { error_rate: 0.5 } }), retryAfterS: 0.1 }, 2000);
    const st = r.ws.stats();
    const ex = r.ex.stats();
    expect(ex.rest.errors5xx).toBeGreaterThan(0);
    expect(ex.rest.rateLimited).toBeGreaterThan(0);
    expect(st.snapshotErrors).toBeGreaterThan(0);
    expect(st.rateLimited).toBeGreaterThan(0);
    expect(r.rest.stats().coolingDown).toBeGreaterThanOrEqual(0);
    expectTruth(r, 10);
  });

  it('REST timeouts: a held response times out on the client and the snapshot is fetched again', async () => {
    const latency = { model: 'mixture', components: [{ weight: 0.6, model: 'constant', ms: 2 }, { weight: 0.4, model: 'constant', ms: 400 }] };
    const r = await run({ scenario: scenario({ market: { faults: { seq_gap: { rate_hz: 3, events: 1 } } }, rest: { latency, timeout_ms: 150 } }) }, 2000, {}, 150);
    expect(r.ex.stats().rest.timeouts).toBeGreaterThan(0);
    expect(r.rest.stats().timeouts).toBeGreaterThan(0);
    expectTruth(r, 10);
  });

  it('malformed frames and snapshots: counted, resynced, never a crash', async () => {
    const r = await run({ scenario: scenario(), malformedRate: 0.05 }, 2000);
    const st = r.ws.stats();
    expect(r.ex.stats().ws.malformed).toBeGreaterThan(0);
    expect(st.malformed).toBeGreaterThan(0);
    expect(st.resyncs.malformed).toBeGreaterThan(0);
    expectTruth(r);
  });

  it('pings are answered (ws auto-pong): the connection survives a short pong timeout', async () => {
    const r = await run({ scenario: scenario(), pingIntervalMs: 50, pongTimeoutMs: 200 }, 800);
    expect(r.ws.stats().pings).toBeGreaterThan(5);
    expect(r.ws.stats().reconnects).toBe(0);
    expect(r.ex.stats().ws.pongs).toBeGreaterThan(5);
    expect(r.ex.stats().ws.droppedNoPong).toBe(0);
  });

  it('drives the MDCacheInvalidator: seq_gap, ws_gap, reconnect', async () => {
    const clock = new RealClock();
    const ex = await startExchange({ clock, scenario: scenario({ market: { faults: { seq_gap: { rate_hz: 4, events: 1 }, ws_silence: { rate_hz: 2, min_ms: 300, max_ms: 400 } } } }) });
    open.push(ex);
    const rest = new BinanceRestSource({ baseUrl: ex.restUrl, clock });
    const info = await rest.exchangeInfo();
    const ws = new WsBook({ wsUrl: ex.wsUrl, symbols: SYMBOLS, exchangeInfo: info, snapshots: rest, clock, reconnect: { baseMs: 20, maxMs: 100 } });
    open.push(ws);
    const invalidated: string[] = [];
    const cache = {
      invalidate: (s: string, reason: string) => invalidated.push(`${s}:${reason}`),
      invalidateAll: (reason: string) => invalidated.push(`*:${reason}`),
      peek: () => undefined,
    };
    const inv = new MDCacheInvalidator<OrderBook>({ cache, best: bookBest, wsGapMs: 150, jumpTicks: 5, tickSize: (s) => info.get(s)?.tick, snapshot: (s) => ws.book(s), symbols: SYMBOLS, startTime: clock.now() });
    driveInvalidator(ws, inv);
    ws.start();
    await ws.ready();
    await waitFor(() => inv.stats().seq_gap > 0 && inv.stats().ws_gap > 0, 'seq_gap and ws_gap invalidations', [eventsOf(ws)], 10_000);
    ex.dropClients();
    await waitFor(() => inv.stats().reconnect > 0, 'a reconnect invalidation', [eventsOf(ws)], 10_000);
    expect(invalidated).toContain('*:reconnect');
    expect(invalidated.some((x) => x.endsWith(':seq_gap'))).toBe(true);
    expect(invalidated.some((x) => x.endsWith(':ws_gap'))).toBe(true);
  });
});
