/** Shared helpers of the exchange / network tests: scenarios in code, condition polling, truth comparison. */
import { afterEach } from 'vitest';
import type { WebSocket } from 'ws';
import { RealClock } from '../../src/core/clock.js';
import { startExchange, type Exchange, type ExchangeOptions } from '../../src/exchange/server.js';
import { parseScenario, type Scenario } from '../../src/scenario/scenario.js';
import type { OrderBook } from '../../src/market/book.js';
import type { WsBook } from '../../src/net/ws-book.js';
import { waitUntil, type Trigger } from '../helpers/wait.js';

/** A small two-symbol scenario; `market` / `rest` blocks are merged over quiet defaults. */
export function scenario(opts: { market?: Record<string, unknown>; rest?: Record<string, unknown>; seed?: number } = {}): Scenario {
  return parseScenario(
    {
      name: 'net-test',
      seed: opts.seed ?? 5,
      symbols: [
        { symbol: 'BTCUSDT', tick_size: '0.01', price: '65000.00', qty_decimals: 5 },
        { symbol: 'SOLUSDT', tick_size: '0.001', price: '150.000', qty_decimals: 3 },
      ],
      market: { update_rate_hz: 40, diffusion_ticks: 1, depth: { levels: 40 }, ...opts.market },
      rest: { latency: { model: 'constant', ms: 2 }, error_rate: 0, timeout_ms: 1000, ...opts.rest },
    },
    'test',
  );
}

/**
 * Resolves with the first truthy value of `cond`, checked now and on every event of `on` (a client's
 * 'message', a WsBook's events, the exchange feed's messages …); throws with `what` after `timeoutMs`. No polling
 * timer: see test/helpers/wait.ts.
 */
export function waitFor<T>(cond: () => T | Promise<T>, what: string, on: readonly Trigger[], timeoutMs = 10_000): Promise<NonNullable<T>> {
  return waitUntil(what, cond, on, timeoutMs);
}

/** A trigger on every message the exchange's generator delivers (its clock ticking, a disconnect ending …). */
export const feedOf = (ex: Exchange): Trigger => (f) => ex.feed.onMessage(f);
/** A trigger on every event of a WsBook (applied diffs, syncs, disconnects …). */
export const eventsOf = (ws: WsBook): Trigger => (f) => ws.onEvent(f);

export interface TruthBook {
  symbol: string;
  lastUpdateId: number;
  bids: [string, string][];
  asks: [string, string][];
}

export async function getJson(url: string): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body, headers: res.headers };
}

/** The exchange's ground truth for `symbol` at update id `id` (from /_truth's history). */
export async function truthAt(restUrl: string, symbol: string, id: number): Promise<TruthBook> {
  const r = await getJson(`${restUrl}/_truth?symbol=${symbol}&id=${id}`);
  if (r.status !== 200) throw new Error(`/_truth ${symbol} id ${id}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as TruthBook;
}

/** Levels with quantities as numbers (the two sides print quantities with different decimals). */
export function norm(levels: [string, string][]): [string, number][] {
  return levels.map(([p, q]) => [p, Number(q)]);
}

/** Wire form of a local book, for exact comparison with the truth. */
export function wire(book: OrderBook): { lastUpdateId: number; bids: [string, number][]; asks: [string, number][] } {
  return { lastUpdateId: book.lastUpdateId, bids: norm(book.bids()), asks: norm(book.asks()) };
}

/**
 * Compares the WS-maintained book of `symbol` (now) with the ground truth at the same update id.
 * Returns false when the symbol is not synced at this moment (nothing to compare).
 */
export async function compareWithTruth(restUrl: string, ws: WsBook, symbol: string): Promise<{ compared: boolean; equal: boolean; local?: unknown; truth?: unknown }> {
  const book = ws.book(symbol);
  if (!book) return { compared: false, equal: true };
  const local = wire(book);
  const t = await truthAt(restUrl, symbol, local.lastUpdateId);
  const truth = { lastUpdateId: t.lastUpdateId, bids: norm(t.bids), asks: norm(t.asks) };
  return { compared: true, equal: JSON.stringify(local) === JSON.stringify(truth), local, truth };
}

/**
 * Loopback exchanges (on the real clock, the scenario above unless given) and client sockets that are closed
 * after each test of the calling file: push a socket onto `sockets` to have it terminated.
 */
export function exchangeFixture(): { exchange(o?: Partial<ExchangeOptions>): Promise<Exchange>; sockets: WebSocket[] } {
  const open: Exchange[] = [];
  const sockets: WebSocket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.terminate();
    while (open.length) await open.pop()!.close();
  });
  return {
    sockets,
    async exchange(o: Partial<ExchangeOptions> = {}): Promise<Exchange> {
      const ex = await startExchange({ scenario: scenario(), clock: new RealClock(), ...o });
      open.push(ex);
      return ex;
    },
  };
}
