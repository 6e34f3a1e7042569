/** Adapts a MarketFeed (synthetic generator or replay) to what the simulation needs. */
import type { Clock } from '../core/clock.js';
import type { Invalidatable } from '../cache/types.js';
import type { MdCacheConfig } from '../config/md-cache.js';
import { topOfBookErrorTicks, type OrderBook } from '../market/book.js';
import type { MarketFeed } from '../market/feed.js';
import { MDCacheInvalidator, bookBest } from '../market/invalidator.js';
import { MarketBookFeed } from '../market/book-feed.js';
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
  restStats(): Record<'uncached' | 'cached', ReturnType<SimRestSource['stats']>> & { arms?: Record<string, ReturnType<SimRestSource['stats']>> };
}

export function feedMarket(o: FeedMarketOptions): FeedMarket {
  const { clock, feed } = o;
  const sources = {
    uncached: createSimRestSource({ clock, market: feed, rest: o.rest, seed: o.seed, streamName: 'rest/uncached' }),
    cached: createSimRestSource({ clock, market: feed, rest: o.rest, seed: o.seed, streamName: 'rest/cached' }),
  };
  // Named arms get their own source each, on the cached path's stream: the n-th request of every arm draws
  // the same latency and error coin (common random numbers), so arms differ by configuration only.
  const armSources = new Map<string, SimRestSource>();
  const armSource = (arm: string): SimRestSource => {
    let src = armSources.get(arm);
    if (!src) armSources.set(arm, (src = createSimRestSource({ clock, market: feed, rest: o.rest, seed: o.seed, streamName: 'rest/cached' })));
    return src;
  };
  // One invalidator per cache (each arm's own thresholds); the first is the one `invalidatorCounts` reports.
  const invalidators: MDCacheInvalidator<OrderBook>[] = [];
  const symbols = feed.instruments.map((i) => i.symbol);
  return {
    symbols,
    advanceTo: (_symbol, t) => {
      feed.advanceTo(t);
      for (const inv of invalidators) inv.check(t);
    },
    source: (path, arm) => (path === 'cached' && arm !== undefined ? armSource(arm) : sources[path]),
    bookFeed: (snapshots) => new MarketBookFeed({ clock, feed, snapshots, seed: o.seed }),
    quality: {
      ageMs: (book) => clock.now() - book.takenAt,
      tobErrorTicks: (symbol, book) => {
        feed.advanceTo(clock.now());
        const truth = bestOf(feed, symbol);
        return topOfBookErrorTicks(book, truth.bid, truth.ask);
      },
    },
    attachInvalidator(cache: Invalidatable<OrderBook>, cfg: MdCacheConfig) {
      const invalidator = new MDCacheInvalidator<OrderBook>({
        cache,
        best: bookBest,
        wsGapMs: cfg.invalidate_on_ws_gap_ms,
        jumpTicks: cfg.jump_ticks,
        symbols,
        startTime: clock.now(),
        // Resync the delivered local book from the ground truth the way a client would (snapshot after a gap).
        snapshot: (symbol) => feed.snapshot(symbol),
      });
      invalidators.push(invalidator);
      const detach = invalidator.attach(feed);
      return () => {
        detach();
        const i = invalidators.indexOf(invalidator);
        if (i >= 0) invalidators.splice(i, 1);
      };
    },
    invalidatorCounts: () => ({ ...(invalidators[0]?.stats() ?? {}) }),
    restStats: () => {
      const arms = armSources.size > 0 ? Object.fromEntries([...armSources].map(([k, v]) => [k, v.stats()])) : undefined;
      const first = armSources.size > 0 ? [...armSources.values()][0]! : sources.cached;
      return { uncached: sources.uncached.stats(), cached: first.stats(), ...(arms ? { arms } : {}) };
    },
  };
}

/** Ground-truth best prices (ticks); uses the feed's allocation-free accessor when it has one. */
function bestOf(feed: MarketFeed, symbol: string): { bid: number; ask: number } {
  const f = feed as MarketFeed & { best?: (s: string) => { bid: number; ask: number } };
  if (typeof f.best === 'function') return f.best(symbol);
  const b = feed.snapshot(symbol, 1);
  return { bid: b.bestBid() ?? 0, ask: b.bestAsk() ?? 0 };
}
