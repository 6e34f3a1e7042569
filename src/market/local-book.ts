/**
 * FullBook: a mutable full-depth book (sorted price levels) that applies Binance diffs (absolute quantities,
 * qty 0 removes a level, removing a level not held is a no-op).
 * LocalBook: the spot "keep a local book correct" procedure on top of it (buffer before the snapshot, drop
 * u <= lastUpdateId, first applied event must straddle, resync on a gap, ignore stale events).
 */
import { OrderBook, type BookMeta } from './book.js';
import { parseTickSize, priceToTicks, parseQty, type TickSize } from './ticks.js';
import type { DepthDiff, DepthSnapshot } from './types.js';

export const BID = 0;
export const ASK = 1;

/** A depth diff in integer form. `changes` is flat [side, ticks, qty]*: side 0 bid / 1 ask, qty 0 removes. */
export interface BookDiff {
  readonly symbol: string;
  /** Exchange event time (ms). */
  readonly E: number;
  readonly U: number;
  readonly u: number;
  readonly changes: ArrayLike<number>;
}

/** Converts a wire diff to integer form (TickError on an off-grid price). */
export function diffFromWire(d: DepthDiff, tickSize: string | TickSize): BookDiff {
  const tick = parseTickSize(tickSize);
  const changes: number[] = [];
  for (const [p, q] of d.b) changes.push(BID, priceToTicks(p, tick), parseQty(q));
  for (const [p, q] of d.a) changes.push(ASK, priceToTicks(p, tick), parseQty(q));
  return { symbol: d.s, E: d.E, U: d.U, u: d.u, changes };
}

/**
 * One side's levels in two parallel Float64Arrays sorted ascending by key, where the key grows toward the
 * best level (bids: +ticks, asks: −ticks): the best level is the *last* one. Depth diffs mostly touch the
 * top of the book, so a level is found by a short scan back from the end, and an insert or removal there
 * moves only the few levels above it (typed-array copyWithin; no splice, no per-level allocation).
 */
class Side {
  keys = new Float64Array(256);
  qtys = new Float64Array(256);
  n = 0;

  /** Index of the last level with key <= `key` (−1 if none). */
  find(key: number): number {
    const keys = this.keys;
    let i = this.n - 1;
    // top of the book first: a linear scan over the nearest levels, then binary search below them
    const stop = i - 8;
    while (i >= 0 && i > stop && keys[i]! > key) i--;
    if (i <= stop && i >= 0 && keys[i]! > key) {
      let lo = 0;
      let hi = i; // keys[hi] > key; answer in [−1, hi − 1]
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (keys[mid]! <= key) lo = mid + 1;
        else hi = mid;
      }
      i = lo - 1;
    }
    return i;
  }

  set(key: number, qty: number): void {
    const i = this.find(key);
    const n = this.n;
    if (i >= 0 && this.keys[i] === key) {
      if (qty > 0) this.qtys[i] = qty;
      else {
        if (i < n - 1) {
          this.keys.copyWithin(i, i + 1, n);
          this.qtys.copyWithin(i, i + 1, n);
        }
        this.n = n - 1;
      }
    } else if (qty > 0) {
      const at = i + 1;
      if (n === this.keys.length) this.grow();
      if (at < n) {
        this.keys.copyWithin(at + 1, at, n);
        this.qtys.copyWithin(at + 1, at, n);
      }
      this.keys[at] = key;
      this.qtys[at] = qty;
      this.n = n + 1;
    }
  }

  qtyAt(key: number): number {
    const i = this.find(key);
    return i >= 0 && this.keys[i] === key ? this.qtys[i]! : 0;
  }

  private grow(): void {
    const k = new Float64Array(this.keys.length * 2);
    const q = new Float64Array(this.keys.length * 2);
    k.set(this.keys.subarray(0, this.n));
    q.set(this.qtys.subarray(0, this.n));
    this.keys = k;
    this.qtys = q;
  }

  /** Replaces the content: `count` levels, best first, from the accessors. */
  load(count: number, key: (i: number) => number, qty: (i: number) => number): void {
    while (this.keys.length < count) this.grow();
    for (let i = 0; i < count; i++) {
      this.keys[count - 1 - i] = key(i);
      this.qtys[count - 1 - i] = qty(i);
    }
    this.n = count;
  }
}

/** A full-depth book: sorted levels per side (see Side), absolute quantities, qty 0 removes a level. */
export class FullBook {
  private readonly sides: [Side, Side] = [new Side(), new Side()];

  clear(): void {
    this.sides[BID].n = 0;
    this.sides[ASK].n = 0;
  }

  /** Sets the absolute quantity of a level; qty <= 0 removes it. */
  set(side: number, ticks: number, qty: number): void {
    if (side === BID) this.sides[BID].set(ticks, qty);
    else this.sides[ASK].set(-ticks, qty);
  }

  apply(changes: ArrayLike<number>): void {
    const bid = this.sides[BID];
    const ask = this.sides[ASK];
    for (let i = 0; i + 2 < changes.length; i += 3) {
      if (changes[i] === BID) bid.set(changes[i + 1]!, changes[i + 2]!);
      else ask.set(-changes[i + 1]!, changes[i + 2]!);
    }
  }

  /** Replaces the content with `book`'s levels. */
  load(book: OrderBook): void {
    this.sides[BID].load(book.bidCount, (i) => book.bidTicks(i), (i) => book.bidQty(i));
    this.sides[ASK].load(book.askCount, (i) => -book.askTicks(i), (i) => book.askQty(i));
  }

  bestBid(): number | undefined {
    const s = this.sides[BID];
    return s.n === 0 ? undefined : s.keys[s.n - 1]!;
  }
  bestAsk(): number | undefined {
    const s = this.sides[ASK];
    return s.n === 0 ? undefined : -s.keys[s.n - 1]!;
  }
  bidCount(): number {
    return this.sides[BID].n;
  }
  askCount(): number {
    return this.sides[ASK].n;
  }
  /** Quantity held at a level (0 when absent). */
  qtyAt(side: number, ticks: number): number {
    return side === BID ? this.sides[BID].qtyAt(ticks) : this.sides[ASK].qtyAt(-ticks);
  }
  isCrossed(): boolean {
    const b = this.bestBid();
    const a = this.bestAsk();
    return b !== undefined && a !== undefined && b >= a;
  }

  /** A compact, depth-limited copy. */
  toBook(meta: BookMeta, depth = Infinity): OrderBook {
    const bid = this.sides[BID];
    const ask = this.sides[ASK];
    const nb = Math.min(depth, bid.n);
    const na = Math.min(depth, ask.n);
    const data = new Float64Array(2 * (nb + na));
    for (let i = 0; i < nb; i++) {
      data[i] = bid.keys[bid.n - 1 - i]!;
      data[nb + i] = bid.qtys[bid.n - 1 - i]!;
    }
    const o = 2 * nb;
    for (let i = 0; i < na; i++) {
      data[o + i] = -ask.keys[ask.n - 1 - i]!;
      data[o + na + i] = ask.qtys[ask.n - 1 - i]!;
    }
    return new OrderBook(meta, nb, na, data);
  }
}

export type DiffOutcome = 'applied' | 'ignored' | 'gap' | 'needs-snapshot';

export interface SnapshotOutcome {
  /** synced: book usable; stale: snapshot older than the buffered stream, fetch again; gap: the buffered
   *  stream has a hole after the snapshot, fetch again. */
  outcome: 'synced' | 'stale' | 'gap';
  /** Buffered events applied on top of the snapshot. */
  applied: number;
  /** Buffered events dropped because u <= lastUpdateId. */
  dropped: number;
}

export interface LocalBookOptions {
  qtyDecimals?: number;
  /** Events buffered while unsynced at most; the oldest are dropped beyond (default 10,000). */
  maxBuffer?: number;
}

/** Spot order-book synchronisation (see docs: "Keeping a local book correct"). */
export class LocalBook {
  readonly symbol: string;
  readonly tick: TickSize;
  readonly qtyDecimals: number;
  readonly book = new FullBook();
  private synced = false;
  private id = 0;
  private lastE = 0;
  private buffer: BookDiff[] = [];
  private readonly maxBuffer: number;

  constructor(symbol: string, tickSize: string | TickSize, opts: LocalBookOptions = {}) {
    this.symbol = symbol;
    this.tick = parseTickSize(tickSize);
    this.qtyDecimals = opts.qtyDecimals ?? 8;
    this.maxBuffer = opts.maxBuffer ?? 10_000;
  }

  get isSynced(): boolean {
    return this.synced;
  }
  /** The book's update id (the last applied u, or the snapshot's lastUpdateId). */
  get lastUpdateId(): number {
    return this.id;
  }
  get bufferedCount(): number {
    return this.buffer.length;
  }
  /** U of the first buffered event (the snapshot must have lastUpdateId >= this − 1). */
  get firstBufferedU(): number | undefined {
    return this.buffer[0]?.U;
  }

  /** Discards the book and the buffer; the next events are buffered until a snapshot arrives. */
  reset(): void {
    this.synced = false;
    this.book.clear();
    this.buffer = [];
    this.id = 0;
  }

  /** Feeds one stream event. */
  onDiff(d: BookDiff): DiffOutcome {
    if (!this.synced) {
      this.buffer.push(d);
      if (this.buffer.length > this.maxBuffer) this.buffer.shift();
      return 'needs-snapshot';
    }
    return this.step(d);
  }

  private step(d: BookDiff): DiffOutcome {
    if (d.u <= this.id) return 'ignored';
    if (d.U > this.id + 1) {
      this.reset();
      this.buffer.push(d);
      return 'gap';
    }
    this.book.apply(d.changes);
    this.id = d.u;
    this.lastE = d.E;
    return 'applied';
  }

  /** Installs a snapshot (compact book or wire) and replays the buffered events on top of it. */
  applySnapshot(snap: OrderBook | DepthSnapshot): SnapshotOutcome {
    const book = snap instanceof OrderBook ? snap : OrderBook.fromSnapshot(snap, this.symbol, this.tick, { qtyDecimals: this.qtyDecimals });
    const first = this.buffer[0];
    if (first && book.lastUpdateId < first.U - 1) return { outcome: 'stale', applied: 0, dropped: 0 };
    const pending = this.buffer;
    this.buffer = [];
    this.book.load(book);
    this.id = book.lastUpdateId;
    this.lastE = book.exchangeTime;
    this.synced = true;
    let dropped = 0;
    let applied = 0;
    let firstApplied = true;
    for (let i = 0; i < pending.length; i++) {
      const d = pending[i]!;
      if (d.u <= this.id) {
        dropped++;
        continue;
      }
      if (firstApplied && !(d.U <= this.id + 1 && this.id + 1 <= d.u)) {
        this.reset();
        this.buffer = pending.slice(i);
        return { outcome: 'gap', applied, dropped };
      }
      firstApplied = false;
      const r = this.step(d);
      if (r === 'gap') {
        this.buffer = pending.slice(i);
        return { outcome: 'gap', applied, dropped };
      }
      if (r === 'applied') applied++;
    }
    return { outcome: 'synced', applied, dropped };
  }

  bestBid(): number | undefined {
    return this.synced ? this.book.bestBid() : undefined;
  }
  bestAsk(): number | undefined {
    return this.synced ? this.book.bestAsk() : undefined;
  }

  /** The current book as a compact snapshot (throws when not synced). */
  toBook(depth = Infinity, takenAt?: number): OrderBook {
    if (!this.synced) throw new Error(`local book ${this.symbol} is not synced`);
    return this.book.toBook({ symbol: this.symbol, tick: this.tick, qtyDecimals: this.qtyDecimals, lastUpdateId: this.id, exchangeTime: this.lastE, takenAt }, depth);
  }
}
