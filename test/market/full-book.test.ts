import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ASK, BID, FullBook } from '../../src/market/local-book.js';
import { OrderBook } from '../../src/market/book.js';
import { parseTickSize } from '../../src/market/ticks.js';

/** The reference: a Map per side, sorted when read (what FullBook must equal after any sequence of sets). */
class MapBook {
  readonly sides = [new Map<number, number>(), new Map<number, number>()];
  set(side: number, ticks: number, qty: number): void {
    if (qty > 0) this.sides[side]!.set(ticks, qty);
    else this.sides[side]!.delete(ticks);
  }
  levels(side: number): [number, number][] {
    return [...this.sides[side]!].sort((a, b) => (side === BID ? b[0] - a[0] : a[0] - b[0]));
  }
}

const meta = { symbol: 'X', tick: parseTickSize('0.01'), qtyDecimals: 3, lastUpdateId: 0 };
const levelsOf = (b: OrderBook): { bids: [number, number][]; asks: [number, number][] } => ({
  bids: Array.from({ length: b.bidCount }, (_, i) => [b.bidTicks(i), b.bidQty(i)] as [number, number]),
  asks: Array.from({ length: b.askCount }, (_, i) => [b.askTicks(i), b.askQty(i)] as [number, number]),
});

// sets concentrated near a moving top (like depth diffs) and anywhere, removals included
const op = fc.tuple(fc.constantFrom(BID, ASK), fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 600 })), fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 50 }).map((q) => q / 8)));

describe('FullBook (typed arrays, best level last) equals a sorted-map book', () => {
  it('after any sequence of sets, and reads (best, counts, qtyAt, toBook) agree', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 1500 }), (ops) => {
        const book = new FullBook();
        const ref = new MapBook();
        for (const [side, off, qty] of ops) {
          const ticks = side === BID ? 10_000 - off : 10_001 + off;
          book.set(side, ticks, qty);
          ref.set(side, ticks, qty);
        }
        const want = { bids: ref.levels(BID), asks: ref.levels(ASK) };
        expect(levelsOf(book.toBook(meta))).toEqual(want);
        expect(book.bidCount()).toBe(want.bids.length);
        expect(book.askCount()).toBe(want.asks.length);
        expect(book.bestBid()).toBe(want.bids[0]?.[0]);
        expect(book.bestAsk()).toBe(want.asks[0]?.[0]);
        for (const [side, off] of ops.slice(0, 50)) {
          const ticks = side === BID ? 10_000 - off : 10_001 + off;
          expect(book.qtyAt(side, ticks)).toBe(ref.sides[side]!.get(ticks) ?? 0);
        }
        const top = book.toBook(meta, 5);
        expect(levelsOf(top)).toEqual({ bids: want.bids.slice(0, 5), asks: want.asks.slice(0, 5) });
      }),
      { numRuns: 200 },
    );
  });

  it('grows past its initial capacity, loads a compact book and applies flat changes', () => {
    const book = new FullBook();
    for (let i = 0; i < 1000; i++) book.set(BID, 5000 - i * 2, 1 + i);
    for (let i = 0; i < 1000; i++) book.set(ASK, 6000 + i * 3, 2 + i);
    expect(book.bidCount()).toBe(1000);
    expect(book.bestBid()).toBe(5000);
    expect(book.bestAsk()).toBe(6000);
    const copy = new FullBook();
    copy.load(book.toBook(meta));
    expect(levelsOf(copy.toBook(meta))).toEqual(levelsOf(book.toBook(meta)));
    copy.apply([BID, 5000, 0, ASK, 5999, 4, BID, 5001, 7]);
    expect(copy.bestBid()).toBe(5001);
    expect(copy.bestAsk()).toBe(5999);
    expect(copy.qtyAt(BID, 5000)).toBe(0);
    expect(copy.isCrossed()).toBe(false);
    copy.set(BID, 6500, 1);
    expect(copy.isCrossed()).toBe(true);
    copy.clear();
    expect([copy.bidCount(), copy.askCount(), copy.bestBid(), copy.bestAsk()]).toEqual([0, 0, undefined, undefined]);
  });
});
