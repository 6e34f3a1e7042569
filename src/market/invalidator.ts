/**
 * MDCacheInvalidator: watches the delivered feed and invalidates cache entries when the served book can no
 * longer be trusted:
 *   ws_gap    no message for a symbol for more than `wsGapMs` (once per silence)
 *   seq_gap   a missing or out-of-order update id (U > last u + 1, or u <= last u)
 *   jump      the delivered best bid or best ask is more than `jumpTicks` ticks away from the best bid /
 *             best ask of the book the cache holds (the one it last served), read via cache.peek
 *   crossed   best bid >= best ask in the delivered local book (once per crossed episode)
 *   reconnect the connection came back: invalidateAll('reconnect')
 *
 * The delivered best prices come from a LocalBook per symbol maintained from delivered diffs (reset on a
 * gap or reconnect). It is (re)synced from `snapshot(symbol)` when given (the Binance procedure: buffer,
 * snapshot, replay); without it the book is rebuilt from diffs alone, starting empty (only levels that
 * changed since are known, so jump/crossed detection is best effort until the top levels have updated).
 *
 * Silence detection with a lazy feed: a silence is noticed when the next message of any symbol arrives
 * (all symbols whose last message is older than the threshold fire then) or when `check(now)` is called
 * (the simulator calls it after each `feed.advanceTo(now)`). Cost: O(1) per message plus one per firing.
 */
import type { Invalidatable, InvalidationReason } from '../cache/types.js';
import { OrderBook } from './book.js';
import type { FeedMessage, MarketFeed } from './feed.js';
import { LocalBook, type BookDiff } from './local-book.js';
import type { DepthSnapshot } from './types.js';
import type { TickSize } from './ticks.js';

export interface BestTicks {
  bestBidTicks: number | undefined;
  bestAskTicks: number | undefined;
}

/** Mapper for caches holding OrderBook values. */
export function bookBest(b: OrderBook): BestTicks {
  return { bestBidTicks: b.bestBid(), bestAskTicks: b.bestAsk() };
}

export interface InvalidatorOptions<V> {
  cache: Invalidatable<V>;
  /** The cached value's best prices in exchange ticks (a pure function of the value: called once per served value). */
  best: (value: V) => BestTicks;
  /** md_cache.invalidate_on_ws_gap_ms */
  wsGapMs: number;
  /** md_cache.jump_ticks */
  jumpTicks: number;
  /** Tick size per symbol (needed to parse wire snapshots); defaults to the attached feed's instruments. */
  tickSize?: (symbol: string) => string | TickSize | undefined;
  /** Snapshot provider used to (re)sync the delivered local book. */
  snapshot?: (symbol: string) => OrderBook | DepthSnapshot | undefined;
  /** Symbols watched for silence from `startTime` even before their first message. */
  symbols?: readonly string[];
  startTime?: number;
  /**
   * Silence (ws_gap) of a symbol is checked only at that symbol's own points — its messages and `checkSymbol`
   * calls — never at another symbol's message. The simulator uses this so a symbol's invalidations do not
   * depend on which other symbols run beside it (exact sharding). Default false: any message checks all.
   */
  perSymbolChecks?: boolean;
}

export type InvalidatorCounts = Record<'ws_gap' | 'seq_gap' | 'jump' | 'crossed' | 'reconnect', number>;

interface SymWatch {
  symbol: string;
  last: number;
  lastU: number | undefined;
  book: LocalBook | undefined;
  crossed: boolean;
  /** The cached value a jump was last reported for (report once per served value). */
  jumpedFor: unknown;
  /** The served value whose best prices `served` holds (the mapper is called once per value, not per diff). */
  bestOf: unknown;
  served: BestTicks | undefined;
  /** Links of the quiet list (see MDCacheInvalidator.qHead). */
  inQuiet: boolean;
  qPrev: SymWatch | undefined;
  qNext: SymWatch | undefined;
}

export class MDCacheInvalidator<V> {
  private readonly o: InvalidatorOptions<V>;
  private readonly syms = new Map<string, SymWatch>();
  /**
   * Watched symbols ordered by last message time (oldest first); a symbol leaves it when its silence fired.
   * An intrusive doubly linked list: a message moves its symbol to the tail without a hash lookup.
   */
  private qHead: SymWatch | undefined = undefined;
  private qTail: SymWatch | undefined = undefined;
  private feed: MarketFeed | undefined;
  private readonly counts: InvalidatorCounts = { ws_gap: 0, seq_gap: 0, jump: 0, crossed: 0, reconnect: 0 };

  constructor(opts: InvalidatorOptions<V>) {
    this.o = opts;
    for (const s of opts.symbols ?? []) this.watch(s, opts.startTime ?? 0);
  }

  /** Subscribes to a feed's delivered messages; returns the unsubscribe function. */
  attach(feed: MarketFeed): () => void {
    this.feed = feed;
    return feed.onMessage((m) => this.onMessage(m));
  }

  stats(): InvalidatorCounts {
    return { ...this.counts };
  }

  private watch(symbol: string, t: number): SymWatch {
    let w = this.syms.get(symbol);
    if (!w) {
      w = { symbol, last: t, lastU: undefined, book: undefined, crossed: false, jumpedFor: undefined, bestOf: undefined, served: undefined, inQuiet: false, qPrev: undefined, qNext: undefined };
      this.syms.set(symbol, w);
      this.quietAppend(w);
    }
    return w;
  }

  private fire(symbol: string, reason: InvalidationReason & keyof InvalidatorCounts): void {
    this.counts[reason]++;
    this.o.cache.invalidate(symbol, reason);
  }

  /** Fires ws_gap for every symbol silent for more than wsGapMs at `now`. */
  check(now: number): void {
    const gap = this.o.wsGapMs;
    for (let w = this.qHead; w !== undefined; w = this.qHead) {
      if (!(now - w.last > gap)) break;
      this.quietRemove(w);
      this.fire(w.symbol, 'ws_gap');
    }
  }

  /** Fires ws_gap for `symbol` when it has been silent for more than wsGapMs at `now`. */
  checkSymbol(symbol: string, now: number): void {
    const w = this.syms.get(symbol);
    if (w !== undefined && w.inQuiet && now - w.last > this.o.wsGapMs) {
      this.quietRemove(w);
      this.fire(symbol, 'ws_gap');
    }
  }

  onMessage(m: FeedMessage): void {
    if (m.type === 'reconnect') {
      this.check(m.t);
      this.counts.reconnect++;
      for (const w of this.syms.values()) {
        w.lastU = undefined;
        w.book?.reset();
        w.crossed = false;
        w.jumpedFor = undefined;
      }
      this.o.cache.invalidateAll('reconnect');
      return;
    }
    if (m.type === 'disconnect') return this.check(m.t);
    this.onDiff(m.diff, m.t);
  }

  /** Feeds one delivered diff received at local time `t`. */
  onDiff(d: BookDiff, t: number): void {
    if (this.o.perSymbolChecks) this.checkSymbol(d.symbol, t);
    else this.check(t);
    const w = this.watch(d.symbol, t);
    w.last = t;
    if (w !== this.qTail) {
      if (w.inQuiet) this.quietRemove(w);
      this.quietAppend(w);
    }

    if (w.lastU !== undefined && (d.U > w.lastU + 1 || d.u <= w.lastU)) this.fire(d.symbol, 'seq_gap');
    if (w.lastU === undefined || d.u > w.lastU) w.lastU = d.u;

    const book = this.bookFor(w);
    if (!book) return;
    let outcome = book.onDiff(d);
    if (outcome === 'gap' || outcome === 'needs-snapshot') outcome = this.sync(w, book, d) ? 'applied' : outcome;
    if (!book.isSynced) return;

    const bid = book.bestBid();
    const ask = book.bestAsk();
    const crossed = bid !== undefined && ask !== undefined && bid >= ask;
    if (crossed && !w.crossed) this.fire(d.symbol, 'crossed');
    w.crossed = crossed;
    if (crossed) return;

    const entry = this.o.cache.peek(d.symbol);
    if (!entry || entry.value === w.jumpedFor) return;
    if (w.bestOf !== entry.value) {
      w.bestOf = entry.value;
      w.served = this.o.best(entry.value);
    }
    const served = w.served!;
    const k = this.o.jumpTicks;
    if (
      (bid !== undefined && served.bestBidTicks !== undefined && Math.abs(bid - served.bestBidTicks) > k) ||
      (ask !== undefined && served.bestAskTicks !== undefined && Math.abs(ask - served.bestAskTicks) > k)
    ) {
      w.jumpedFor = entry.value;
      this.fire(d.symbol, 'jump');
    }
  }

  private quietAppend(w: SymWatch): void {
    w.inQuiet = true;
    w.qPrev = this.qTail;
    w.qNext = undefined;
    if (this.qTail !== undefined) this.qTail.qNext = w;
    else this.qHead = w;
    this.qTail = w;
  }

  private quietRemove(w: SymWatch): void {
    const p = w.qPrev;
    const n = w.qNext;
    if (p !== undefined) p.qNext = n;
    else this.qHead = n;
    if (n !== undefined) n.qPrev = p;
    else this.qTail = p;
    w.inQuiet = false;
    w.qPrev = w.qNext = undefined;
  }

  private bookFor(w: SymWatch): LocalBook | undefined {
    if (w.book) return w.book;
    const tick = this.o.tickSize?.(w.symbol) ?? this.feed?.info(w.symbol)?.tick;
    if (tick === undefined) return undefined;
    w.book = new LocalBook(w.symbol, tick);
    return w.book;
  }

  private sync(w: SymWatch, book: LocalBook, d: BookDiff): boolean {
    const snap = this.o.snapshot?.(w.symbol);
    if (snap) return book.applySnapshot(snap).outcome === 'synced';
    // No snapshot source: rebuild from diffs alone, starting from an empty book just before this event.
    const empty = new OrderBook({ symbol: w.symbol, tick: book.tick, lastUpdateId: d.U - 1 }, 0, 0, new Float64Array(0));
    return book.applySnapshot(empty).outcome === 'synced';
  }

  /** The delivered local book's best prices (undefined when unsynced or unknown). */
  deliveredBest(symbol: string): BestTicks {
    const b = this.syms.get(symbol)?.book;
    return { bestBidTicks: b?.bestBid(), bestAskTicks: b?.bestAsk() };
  }
}
