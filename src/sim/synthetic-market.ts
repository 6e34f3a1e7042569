/** Adapts a MarketFeed (synthetic generator or replay) to what the simulation needs. */
import type { Clock } from '../core/clock.js';
import type { Invalidatable, InvalidationReason } from '../cache/types.js';
import type { MdCacheConfig } from '../config/md-cache.js';
import { topOfBookErrorTicks, type OrderBook } from '../market/book.js';
import type { MarketFeed } from '../market/feed.js';
import { MDCacheInvalidator, bookBest } from '../market/invalidator.js';
import { MarketBookFeed } from '../market/book-feed.js';
import { createSimRestSource, simRestClient, type RestParams, type SimRestSource } from '../market/rest.js';
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

/**
 * A REST source whose latency/error draws come from one stream per symbol (`<streamName>/<symbol>`), so a
 * symbol's draws never depend on other symbols' requests: the simulation of a symbol is the same whichever
 * symbols run beside it, which is what lets `bench --jobs N` shard symbols across threads exactly.
 */
function perSymbolSource(o: FeedMarketOptions, streamName: string): SimRestSource {
  const by = new Map<string, SimRestSource>();
  // One client of the venue per path: with rest.rate_limit its symbols share one rolling weight window and
  // one Retry-After (a 418 stops them all), as one process on one IP would.
  const client = simRestClient(o.rest);
  const of = (symbol: string): SimRestSource => {
    let s = by.get(symbol);
    if (!s) by.set(symbol, (s = createSimRestSource({ clock: o.clock, market: o.feed, rest: o.rest, seed: o.seed, streamName: `${streamName}/${symbol}`, client })));
    return s;
  };
  return {
    fetch: (symbol, depth, signal) => of(symbol).fetch(symbol, depth, signal),
    stats: () => sumStats([...by.values()].map((s) => s.stats())),
  } as SimRestSource;
}

/** Field-by-field sum of numeric stats (nested objects too). */
function sumStats<T>(all: T[]): T {
  const out: Record<string, unknown> = {};
  const add = (into: Record<string, unknown>, x: Record<string, unknown>): void => {
    for (const [k, v] of Object.entries(x)) {
      if (typeof v === 'number') into[k] = ((into[k] as number | undefined) ?? 0) + v;
      else if (v && typeof v === 'object' && !Array.isArray(v)) add((into[k] ??= {}) as Record<string, unknown>, v as Record<string, unknown>);
    }
  };
  for (const s of all) add(out, s as Record<string, unknown>);
  if (all.length === 0) return { requests: 0, ok: 0, errors: 0, timeouts: 0, aborted: 0, rateLimited: 0, banned: 0, refused: 0 } as T;
  return out as T;
}

export function feedMarket(o: FeedMarketOptions): FeedMarket {
  const { clock, feed } = o;
  const sources = {
    uncached: perSymbolSource(o, 'rest/uncached'),
    cached: perSymbolSource(o, 'rest/cached'),
  };
  // Named arms get their own source each, on the cached path's stream: the n-th request of every arm draws
  // the same latency and error coin (common random numbers), so arms differ by configuration only.
  const armSources = new Map<string, SimRestSource>();
  const armSource = (arm: string): SimRestSource => {
    let src = armSources.get(arm);
    if (!src) armSources.set(arm, (src = perSymbolSource(o, 'rest/cached')));
    return src;
  };
  // One invalidator per cache (each arm's own thresholds); the first is the one `invalidatorCounts` reports.
  // Its invalidations wait, per symbol, until that symbol's next point (a tick arriving, a get, a refresh
  // outcome): the feed is processed lazily whenever any symbol needs it, so applying them at once would make
  // a symbol's cache depend on other symbols' activity; applied at its own points, it never does.
  interface Attached {
    inv: MDCacheInvalidator<OrderBook>;
    cache: Invalidatable<OrderBook>;
    pending: Map<string, InvalidationReason[]>;
  }
  const invalidators: Attached[] = [];
  const applyPending = (a: Attached, symbol: string): void => {
    const list = a.pending.get(symbol);
    if (!list) return;
    a.pending.delete(symbol);
    for (const reason of list) a.cache.invalidate(symbol, reason);
  };
  const symbols = feed.instruments.map((i) => i.symbol);
  return {
    symbols,
    // A symbol's silence is checked at its own points only (its messages, its ticks and gets), never at
    // another symbol's: see InvalidatorOptions.perSymbolChecks.
    advanceTo: (symbol, t) => {
      feed.advanceTo(t);
      for (const a of invalidators) {
        a.inv.checkSymbol(symbol, t);
        applyPending(a, symbol);
      }
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
      const pending = new Map<string, InvalidationReason[]>();
      const defer = (symbol: string, reason: InvalidationReason): void => {
        const list = pending.get(symbol);
        if (list) list.push(reason);
        else pending.set(symbol, [reason]);
      };
      const deferred: Invalidatable<OrderBook> = {
        invalidate: defer,
        invalidateAll: (reason) => {
          for (const s of symbols) defer(s, reason);
        },
        peek: (symbol) => cache.peek(symbol),
      };
      const invalidator = new MDCacheInvalidator<OrderBook>({
        cache: deferred,
        best: bookBest,
        wsGapMs: cfg.invalidate_on_ws_gap_ms,
        jumpTicks: cfg.jump_ticks,
        symbols,
        startTime: clock.now(),
        perSymbolChecks: true,
        // Resync the delivered local book from the ground truth the way a client would (snapshot after a gap).
        snapshot: (symbol) => feed.snapshot(symbol),
      });
      const attached: Attached = { inv: invalidator, cache, pending };
      invalidators.push(attached);
      const detach = invalidator.attach(feed);
      return () => {
        detach();
        for (const s of [...pending.keys()]) applyPending(attached, s);
        const i = invalidators.indexOf(attached);
        if (i >= 0) invalidators.splice(i, 1);
      };
    },
    invalidatorCounts: () => ({ ...(invalidators[0]?.inv.stats() ?? {}) }),
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
