/**
 * OrderBook: an immutable, compact, depth-limited book (what a REST snapshot returns and what the cache
 * holds). All four columns live in one Float64Array: [bidTicks | bidQty | askTicks | askQty]; prices are
 * integer tick counts (exact in float64 up to 2^53), quantities float64. Bids and asks are best first.
 */
import type { DepthSnapshot, Level } from './types.js';
import { parseTickSize, priceToTicks, ticksToPrice, parseQty, formatQty, type TickSize } from './ticks.js';

export interface BookMeta {
  symbol: string;
  tick: TickSize;
  /** Decimals used to print quantities (default 8, like Binance). */
  qtyDecimals?: number;
  lastUpdateId: number;
  /** Exchange time (ms) the book reflects. */
  exchangeTime?: number;
  /** Local clock time (ms) the book was taken at / received. */
  takenAt?: number;
}

export class OrderBook {
  readonly symbol: string;
  readonly tick: TickSize;
  readonly qtyDecimals: number;
  readonly lastUpdateId: number;
  readonly exchangeTime: number;
  /** Local clock time the book was taken at (settable by the source that produced it). */
  takenAt: number;
  readonly bidCount: number;
  readonly askCount: number;
  /** [bidTicks(bidCount) | bidQty(bidCount) | askTicks(askCount) | askQty(askCount)] */
  private readonly data: Float64Array;

  /** `data` layout as documented above; ownership passes to the book. */
  constructor(meta: BookMeta, bidCount: number, askCount: number, data: Float64Array) {
    this.symbol = meta.symbol;
    this.tick = meta.tick;
    this.qtyDecimals = meta.qtyDecimals ?? 8;
    this.lastUpdateId = meta.lastUpdateId;
    this.exchangeTime = meta.exchangeTime ?? 0;
    this.takenAt = meta.takenAt ?? this.exchangeTime;
    this.bidCount = bidCount;
    this.askCount = askCount;
    this.data = data;
  }

  /** Builds a book from parallel arrays (ticks best first). */
  static fromLevels(meta: BookMeta, bidTicks: ArrayLike<number>, bidQty: ArrayLike<number>, askTicks: ArrayLike<number>, askQty: ArrayLike<number>, depth = Infinity): OrderBook {
    const nb = Math.min(bidTicks.length, depth);
    const na = Math.min(askTicks.length, depth);
    const data = new Float64Array(2 * (nb + na));
    for (let i = 0; i < nb; i++) {
      data[i] = bidTicks[i]!;
      data[nb + i] = bidQty[i]!;
    }
    const o = 2 * nb;
    for (let i = 0; i < na; i++) {
      data[o + i] = askTicks[i]!;
      data[o + na + i] = askQty[i]!;
    }
    return new OrderBook(meta, nb, na, data);
  }

  /** Parses a wire snapshot (prices checked against the tick grid; TickError when off-grid). */
  static fromSnapshot(snap: DepthSnapshot, symbol: string, tickSize: string | TickSize, opts: { qtyDecimals?: number; exchangeTime?: number; takenAt?: number; depth?: number } = {}): OrderBook {
    const tick = parseTickSize(tickSize);
    const depth = opts.depth ?? Infinity;
    const bids = snap.bids.slice(0, depth);
    const asks = snap.asks.slice(0, depth);
    return OrderBook.fromLevels(
      { symbol, tick, qtyDecimals: opts.qtyDecimals, lastUpdateId: snap.lastUpdateId, exchangeTime: opts.exchangeTime, takenAt: opts.takenAt },
      bids.map((l) => priceToTicks(l[0], tick)),
      bids.map((l) => parseQty(l[1])),
      asks.map((l) => priceToTicks(l[0], tick)),
      asks.map((l) => parseQty(l[1])),
    );
  }

  /** Best bid in ticks, or undefined when the side is empty. */
  bestBid(): number | undefined {
    return this.bidCount > 0 ? this.data[0] : undefined;
  }
  bestAsk(): number | undefined {
    return this.askCount > 0 ? this.data[2 * this.bidCount] : undefined;
  }
  bidTicks(i: number): number {
    return this.data[i]!;
  }
  bidQty(i: number): number {
    return this.data[this.bidCount + i]!;
  }
  askTicks(i: number): number {
    return this.data[2 * this.bidCount + i]!;
  }
  askQty(i: number): number {
    return this.data[2 * this.bidCount + this.askCount + i]!;
  }
  bidPrice(i: number): string {
    return ticksToPrice(this.bidTicks(i), this.tick);
  }
  askPrice(i: number): string {
    return ticksToPrice(this.askTicks(i), this.tick);
  }
  /** best ask − best bid in ticks (undefined when a side is empty). */
  spreadTicks(): number | undefined {
    const b = this.bestBid();
    const a = this.bestAsk();
    return b === undefined || a === undefined ? undefined : a - b;
  }
  isCrossed(): boolean {
    const s = this.spreadTicks();
    return s !== undefined && s <= 0;
  }
  /** The packed columns (layout above; do not modify): for compact binary encodings such as book-codec. */
  columns(): Float64Array {
    return this.data;
  }
  /** Number of levels on the deeper side. */
  get depth(): number {
    return Math.max(this.bidCount, this.askCount);
  }

  /** A copy limited to `depth` levels per side (this book when already within). */
  withDepth(depth: number): OrderBook {
    if (this.bidCount <= depth && this.askCount <= depth) return this;
    const nb = Math.min(depth, this.bidCount);
    const na = Math.min(depth, this.askCount);
    const d = this.data;
    const out = new Float64Array(2 * (nb + na));
    out.set(d.subarray(0, nb), 0);
    out.set(d.subarray(this.bidCount, this.bidCount + nb), nb);
    const ao = 2 * this.bidCount;
    out.set(d.subarray(ao, ao + na), 2 * nb);
    out.set(d.subarray(ao + this.askCount, ao + this.askCount + na), 2 * nb + na);
    return new OrderBook(this, nb, na, out);
  }

  bids(depth = Infinity): Level[] {
    const n = Math.min(depth, this.bidCount);
    const out: Level[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = [this.bidPrice(i), formatQty(this.bidQty(i), this.qtyDecimals)];
    return out;
  }
  asks(depth = Infinity): Level[] {
    const n = Math.min(depth, this.askCount);
    const out: Level[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = [this.askPrice(i), formatQty(this.askQty(i), this.qtyDecimals)];
    return out;
  }

  /** Wire-format snapshot (decimal strings). */
  toSnapshot(depth = Infinity): DepthSnapshot {
    return { lastUpdateId: this.lastUpdateId, bids: this.bids(depth), asks: this.asks(depth) };
  }

  /** Same levels (ticks and quantities) on both sides, up to `depth`. */
  sameLevels(other: OrderBook, depth = Infinity): boolean {
    const nb = Math.min(depth, this.bidCount);
    const na = Math.min(depth, this.askCount);
    if (nb !== Math.min(depth, other.bidCount) || na !== Math.min(depth, other.askCount)) return false;
    for (let i = 0; i < nb; i++) if (this.bidTicks(i) !== other.bidTicks(i) || this.bidQty(i) !== other.bidQty(i)) return false;
    for (let i = 0; i < na; i++) if (this.askTicks(i) !== other.askTicks(i) || this.askQty(i) !== other.askQty(i)) return false;
    return true;
  }
}

/**
 * Top-of-book error of a served book against the true best prices, in exchange ticks: the larger of the
 * best-bid and best-ask differences. A side missing on either book contributes 0 (nothing to compare).
 */
export function topOfBookErrorTicks(served: OrderBook, trueBid: number | undefined, trueAsk: number | undefined): number {
  const bid = served.bestBid();
  const ask = served.bestAsk();
  const eb = bid === undefined || trueBid === undefined ? 0 : Math.abs(bid - trueBid);
  const ea = ask === undefined || trueAsk === undefined ? 0 : Math.abs(ask - trueAsk);
  return Math.max(eb, ea);
}
