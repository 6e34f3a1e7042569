/** Adapts a MarketFeed (synthetic generator or replay) to what the simulation needs. */
import type { Clock } from '../core/clock.js';
import type { Invalidatable } from '../cache/types.js';
import type { MdCacheConfig } from '../config/md-cache.js';
import { topOfBookErrorTicks, type OrderBook } from '../market/book.js';
import type { MarketFeed } from '../market/feed.js';
import { MDCacheInvalidator, bookBest } from '../market/invalidator.js';
import { createSimRestSource, type RestParams, type SimRestSource } from '../market/rest.js';
import type { SimMarket } from './simulate.js';

export interface FeedMarketOptions {
  clock: Clock;
  feed: MarketFeed;
  rest: RestParams;
  seed: number;
}

export interface FeedMarket extends SimMarket<OrderBook> {
  /** Invalidations the invalidator raised, by reason (after the run). */
  invalidatorCounts(): Record<string, number>;
  restStats(): Record<'uncached' | 'cached', ReturnType<SimRestSource['stats']>>;
}

export function feedMarket(o: FeedMarketOptions): FeedMarket {
  const { clock, feed } = o;
  const sources = {
    uncached: createSimRestSource({ clock, market: feed, rest: o.rest, seed: o.seed, streamName: 'rest/uncached' }),
    cached: createSimRestSource({ clock, market: feed, rest: o.rest, seed: o.seed, streamName: 'rest/cached' }),
  };
  let invalidator: MDCacheInvalidator<OrderBook> | undefined;
  const symbols = feed.instruments.map((i) => i.symbol);
  return {
    symbols,
    advanceTo: (_symbol, t) => {
      feed.advanceTo(t);
      invalidator?.check(t);
    },
    source: (path) => sources[path],
    quality: {
      ageMs: (book) => clock.now() - book.takenAt,
      tobErrorTicks: (symbol, book) => {
        feed.advanceTo(clock.now());
        const truth = bestOf(feed, symbol);
        return topOfBookErrorTicks(book, truth.bid, truth.ask);
      },
    },
    attachInvalidator(cache: Invalidatable<OrderBook>, cfg: MdCacheConfig) {
      invalidator = new MDCacheInvalidator<OrderBook>({
        cache,
        best: bookBest,
        wsGapMs: cfg.invalidate_on_ws_gap_ms,
        jumpTicks: cfg.jump_ticks,
        symbols,
        startTime: clock.now(),
        // Resync the delivered local book from the ground truth the way a client would (snapshot after a gap).
        snapshot: (symbol) => feed.snapshot(symbol),
      });
      return invalidator.attach(feed);
    },
    invalidatorCounts: () => ({ ...(invalidator?.stats() ?? {}) }),
    restStats: () => ({ uncached: sources.uncached.stats(), cached: sources.cached.stats() }),
  };
}

/** Ground-truth best prices (ticks); uses the feed's allocation-free accessor when it has one. */
function bestOf(feed: MarketFeed, symbol: string): { bid: number; ask: number } {
  const f = feed as MarketFeed & { best?: (s: string) => { bid: number; ask: number } };
  if (typeof f.best === 'function') return f.best(symbol);
  const b = feed.snapshot(symbol, 1);
  return { bid: b.bestBid() ?? 0, ask: b.bestAsk() ?? 0 };
}
