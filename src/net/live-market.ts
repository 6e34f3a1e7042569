/**
 * A live market over the network (a Binance-compatible exchange, e.g. `mdcache exchange`) adapted to what
 * the bench simulation needs (SimMarket):
 *   - source('cached' | 'uncached'): one BinanceRestSource per path (separate stats), sharing exchangeInfo;
 *   - the MDCacheInvalidator is driven by a WsBook: every diff applied to the WS-maintained local book,
 *     reconnects (invalidateAll) and silences (ws_gap) reach it; seq_gap / jump / crossed are detected by
 *     the invalidator from those diffs as in virtual time;
 *   - quality.tobErrorTicks compares a served book with the WS-maintained local book: the best truth
 *     available over the network (while a symbol resyncs, its last synced best prices are used).
 */
import type { Clock } from '../core/clock.js';
import { UsageError } from '../core/errors.js';
import type { Invalidatable } from '../cache/types.js';
import type { MdCacheConfig } from '../config/md-cache.js';
import { topOfBookErrorTicks, type OrderBook } from '../market/book.js';
import { MDCacheInvalidator, bookBest } from '../market/invalidator.js';
import type { SimMarket } from '../sim/simulate.js';
import { BinanceRestSource, type RestSourceStats } from './rest-source.js';
import { WsBook, type WsBookOptions, type WsBookStats } from './ws-book.js';
import { WsBookFeed } from './ws-book-feed.js';

export interface LiveMarketOptions {
  restUrl: string;
  wsUrl: string;
  symbols: readonly string[];
  clock: Clock;
  /** Per-request timeout of the REST sources (default 1000 ms). */
  restTimeoutMs?: number;
  /** Wait this long for every symbol's local book to sync before the run starts (default 15 s). */
  syncTimeoutMs?: number;
  /** Extra WsBook options (silence thresholds, backoff, snapshot depth). */
  wsBook?: Partial<Omit<WsBookOptions, 'wsUrl' | 'symbols' | 'exchangeInfo' | 'snapshots' | 'clock'>>;
}

export interface LiveMarket extends SimMarket<OrderBook> {
  readonly wsBook: WsBook;
  invalidatorCounts(): Record<string, number>;
  restStats(): Record<'uncached' | 'cached' | 'feed', RestSourceStats>;
  wsStats(): WsBookStats;
  /** What results.json records about the market. */
  describe(): Record<string, unknown>;
  close(): Promise<void>;
}

/** Feeds a WsBook's events to an invalidator: applied diffs, reconnects and silences. Returns a detach function. */
export function driveInvalidator<V>(book: WsBook, inv: MDCacheInvalidator<V>): () => void {
  return book.onEvent((e) => {
    switch (e.type) {
      case 'diff':
        inv.onDiff(e.diff, e.t);
        break;
      case 'connect':
        if (e.reconnect) inv.onMessage({ type: 'reconnect', t: e.t });
        break;
      case 'disconnect':
        inv.onMessage({ type: 'disconnect', t: e.t });
        break;
      case 'silence':
        inv.check(e.t);
        break;
    }
  });
}

/** Connects to the exchange, loads exchangeInfo, syncs a local book per symbol, and returns the adapter. */
export async function connectLiveMarket(o: LiveMarketOptions): Promise<LiveMarket> {
  const { clock } = o;
  const symbols = [...o.symbols];
  if (symbols.length === 0) throw new UsageError('no symbols given for the live market');
  const feedSource = new BinanceRestSource({ baseUrl: o.restUrl, clock, timeoutMs: o.restTimeoutMs });
  let info;
  try {
    info = await feedSource.exchangeInfo();
  } catch (err) {
    throw new UsageError(`cannot load exchangeInfo from ${o.restUrl}: ${(err as Error).message}`);
  }
  const missing = symbols.filter((s) => !info.has(s));
  if (missing.length > 0) throw new UsageError(`--symbols: ${missing.join(', ')} not listed by ${o.restUrl} (it lists ${[...info.keys()].slice(0, 20).join(', ')})`);
  const sources = {
    uncached: new BinanceRestSource({ baseUrl: o.restUrl, clock, timeoutMs: o.restTimeoutMs, exchangeInfo: info }),
    cached: new BinanceRestSource({ baseUrl: o.restUrl, clock, timeoutMs: o.restTimeoutMs, exchangeInfo: info }),
  };
  const wsBook = new WsBook({ ...o.wsBook, wsUrl: o.wsUrl, symbols, exchangeInfo: info, snapshots: feedSource, clock });
  wsBook.start();
  try {
    await wsBook.ready(o.syncTimeoutMs ?? 15_000);
  } catch (err) {
    await wsBook.close();
    throw new UsageError(`${(err as Error).message} (is ${o.wsUrl} a Binance-compatible WebSocket endpoint?)`);
  }

  // One invalidator per cache (bench arms); a named arm gets its own REST source.
  const invalidators: MDCacheInvalidator<OrderBook>[] = [];
  const armSources = new Map<string, BinanceRestSource>();
  const armSource = (arm: string): BinanceRestSource => {
    let src = armSources.get(arm);
    if (!src) armSources.set(arm, (src = new BinanceRestSource({ baseUrl: o.restUrl, clock, timeoutMs: o.restTimeoutMs, exchangeInfo: info })));
    return src;
  };
  return {
    symbols,
    wsBook,
    advanceTo: () => {
      for (const inv of invalidators) inv.check(clock.now());
    },
    source: (path, arm) => (path === 'cached' && arm !== undefined ? armSource(arm) : sources[path]),
    // ws_book: the arm's books are the live WsBook's (already synced before the run); its resyncs use the feed source
    bookFeed: (_snapshots, runClock) => new WsBookFeed({ wsBook, clock: runClock }),
    quality: {
      ageMs: (book) => clock.now() - book.takenAt,
      tobErrorTicks: (symbol, book) => {
        const t = wsBook.best(symbol);
        return topOfBookErrorTicks(book, t.bid, t.ask);
      },
    },
    attachInvalidator(cache: Invalidatable<OrderBook>, cfg: MdCacheConfig) {
      const invalidator = new MDCacheInvalidator<OrderBook>({
        cache,
        best: bookBest,
        wsGapMs: cfg.invalidate_on_ws_gap_ms,
        jumpTicks: cfg.jump_ticks,
        tickSize: (s) => info.get(s)?.tick,
        snapshot: (s) => wsBook.book(s),
        symbols,
        startTime: clock.now(),
      });
      invalidators.push(invalidator);
      return driveInvalidator(wsBook, invalidator);
    },
    invalidatorCounts: () => ({ ...(invalidators[0]?.stats() ?? {}) }),
    restStats: () => ({ uncached: sources.uncached.stats(), cached: (armSources.size > 0 ? [...armSources.values()][0]! : sources.cached).stats(), feed: feedSource.stats() }),
    wsStats: () => wsBook.stats(),
    usedWeight1m: () => {
      // The venue's figure is per IP: the latest any of this process' sources received.
      let last: { weight: number; at: number } | undefined;
      for (const src of [sources.uncached, sources.cached, feedSource, ...armSources.values()]) {
        const u = src.usedWeight1m();
        if (u && (!last || u.at >= last.at)) last = u;
      }
      return last && { venue: o.restUrl, weight: last.weight };
    },
    describe: () => ({ source: 'binance', rest_url: o.restUrl, ws_url: o.wsUrl, symbol_count: symbols.length, symbols }),
    close: () => wsBook.close(),
  };
}
