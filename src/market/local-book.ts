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
 * Sorted levels per side. Keys are stored ascending: bids as −ticks, asks as ticks, so index 0 is the best
 * level of either side. Inserts/removes near the top are cheap (splice on short arrays).
 */
export class FullBook {
  private readonly keys: [number[], number[]] = [[], []];
  private readonly qtys: [number[], number[]] = [[], []];

  clear(): void {
    for (const s of [0, 1]) {
      this.keys[s]!.length = 0;
      this.qtys[s]!.length = 0;
    }
  }

  /** Sets the absolute quantity of a level; qty <= 0 removes it. */
  set(side: number, ticks: number, qty: number): void {
    const keys = this.keys[side]!;
    const qtys = this.qtys[side]!;
    const key = side === BID ? -ticks : ticks;
    const lo = lowerBound(keys, key);
    if (lo < keys.length && keys[lo] === key) {
      if (qty > 0) qtys[lo] = qty;
      else {
        keys.splice(lo, 1);
        qtys.splice(lo, 1);
      }
    } else if (qty > 0) {
      if (lo === keys.length) {
        keys.push(key);
        qtys.push(qty);
      } else {
        keys.splice(lo, 0, key);
        qtys.splice(lo, 0, qty);
      }
    }
  }

  apply(changes: ArrayLike<number>): void {
    for (let i = 0; i + 2 < changes.length; i += 3) this.set(changes[i]!, changes[i + 1]!, changes[i + 2]!);
  }

  /** Replaces the content with `book`'s levels. */
  load(book: OrderBook): void {
    this.clear();
    const [bk, ak] = this.keys;
    const [bq, aq] = this.qtys;
    for (let i = 0; i < book.bidCount; i++) {
      bk.push(-book.bidTicks(i));
      bq.push(book.bidQty(i));
    }
    for (let i = 0; i < book.askCount; i++) {
      ak.push(book.askTicks(i));
      aq.push(book.askQty(i));
    }
  }

  bestBid(): number | undefined {
    const k = this.keys[BID][0];
    return k === undefined ? undefined : -k;
  }
  bestAsk(): number | undefined {
    return this.keys[ASK][0];
  }
  bidCount(): number {
    return this.keys[BID].length;
  }
  askCount(): number {
    return this.keys[ASK].length;
  }
  /** Quantity held at a level (0 when absent). */
  qtyAt(side: number, ticks: number): number {
    const keys = this.keys[side]!;
    const key = side === BID ? -ticks : ticks;
    const lo = lowerBound(keys, key);
    return lo < keys.length && keys[lo] === key ? this.qtys[side]![lo]! : 0;
  }
  isCrossed(): boolean {
    const b = this.bestBid();
    const a = this.bestAsk();
    return b !== undefined && a !== undefined && b >= a;
  }

  /** A compact, depth-limited copy. */
  toBook(meta: BookMeta, depth = Infinity): OrderBook {
    const nb = Math.min(depth, this.keys[BID].length);
    const na = Math.min(depth, this.keys[ASK].length);
    const data = new Float64Array(2 * (nb + na));
    const [bk, ak] = this.keys;
    const [bq, aq] = this.qtys;
    for (let i = 0; i < nb; i++) {
      data[i] = -bk[i]!;
      data[nb + i] = bq[i]!;
    }
    const o = 2 * nb;
    for (let i = 0; i < na; i++) {
      data[o + i] = ak[i]!;
      data[o + na + i] = aq[i]!;
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

/** Index of the first element >= key in an ascending array (binary search). */
function lowerBound(keys: readonly number[], key: number): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
