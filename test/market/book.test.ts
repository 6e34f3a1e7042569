import { describe, it, expect } from 'vitest';
import { OrderBook } from '../../src/market/book.js';
import { FullBook, LocalBook, BID, ASK, diffFromWire, type BookDiff } from '../../src/market/local-book.js';
import { parseTickSize } from '../../src/market/ticks.js';
import type { DepthDiff } from '../../src/market/types.js';

const tick = parseTickSize('0.01');
const snap = { lastUpdateId: 100, bids: [['100.00', '1.5'], ['99.99', '2'], ['99.97', '3']] as [string, string][], asks: [['100.01', '1'], ['100.03', '4']] as [string, string][] };

function diff(U: number, u: number, changes: number[] = [BID, 10000, 1]): BookDiff {
  return { symbol: 'X', E: U, U, u, changes };
}

describe('OrderBook (compact)', () => {
  it('parses a wire snapshot, exposes best prices in ticks and round-trips to wire levels', () => {
    const b = OrderBook.fromSnapshot(snap, 'X', '0.01', { qtyDecimals: 2, takenAt: 5 });
    expect(b.bestBid()).toBe(10000);
    expect(b.bestAsk()).toBe(10001);
    expect(b.spreadTicks()).toBe(1);
    expect(b.isCrossed()).toBe(false);
    expect(b.takenAt).toBe(5);
    expect(b.bidQty(1)).toBe(2);
    expect(b.askPrice(1)).toBe('100.03');
    expect(b.toSnapshot()).toEqual({ lastUpdateId: 100, bids: [['100.00', '1.50'], ['99.99', '2.00'], ['99.97', '3.00']], asks: [['100.01', '1.00'], ['100.03', '4.00']] });
    const d1 = b.withDepth(1);
    expect(d1.bidCount).toBe(1);
    expect(d1.askCount).toBe(1);
    expect(d1.toSnapshot(5).asks).toEqual([['100.01', '1.00']]);
    expect(b.withDepth(10)).toBe(b);
    expect(b.sameLevels(OrderBook.fromSnapshot(snap, 'X', tick, { qtyDecimals: 2 }))).toBe(true);
    expect(b.sameLevels(d1)).toBe(false);
  });
  it('an off-grid snapshot price is a TickError', () => {
    expect(() => OrderBook.fromSnapshot({ lastUpdateId: 1, bids: [['100.005', '1']], asks: [] }, 'X', '0.01')).toThrow(/tick grid/);
  });
  it('empty sides have no best price', () => {
    const b = OrderBook.fromLevels({ symbol: 'X', tick, lastUpdateId: 0 }, [], [], [], []);
    expect(b.bestBid()).toBeUndefined();
    expect(b.bestAsk()).toBeUndefined();
    expect(b.spreadTicks()).toBeUndefined();
  });
});

describe('FullBook applies Binance diffs', () => {
  it('absolute quantities, 0 removes, removing an absent level is a no-op, sorted best first', () => {
    const f = new FullBook();
    f.load(OrderBook.fromSnapshot(snap, 'X', tick));
    f.apply([BID, 9998, 7, ASK, 10002, 2, BID, 10000, 0, ASK, 10050, 0, BID, 10000.0 - 50, 0]);
    expect(f.bestBid()).toBe(9999);
    expect(f.qtyAt(BID, 9998)).toBe(7);
    expect(f.bestAsk()).toBe(10001);
    f.set(ASK, 10001, 0);
    expect(f.bestAsk()).toBe(10002);
    f.set(BID, 10005, 1);
    expect(f.isCrossed()).toBe(true);
    const b = f.toBook({ symbol: 'X', tick, lastUpdateId: 7 }, 2);
    expect([b.bidTicks(0), b.bidTicks(1)]).toEqual([10005, 9999]);
    expect(f.bidCount()).toBe(4);
  });
  it('diffFromWire converts a wire event', () => {
    const w: DepthDiff = { e: 'depthUpdate', E: 1, s: 'X', U: 1, u: 2, b: [['0.0024', '10']], a: [['0.0026', '100']] };
    expect(Array.from(diffFromWire(w, '0.0001').changes)).toEqual([BID, 24, 10, ASK, 26, 100]);
  });
});

describe('LocalBook sync procedure', () => {
  it('buffers before the snapshot (needs-snapshot), drops u <= lastUpdateId, applies the straddling event', () => {
    const lb = new LocalBook('X', tick);
    expect(lb.onDiff(diff(95, 98))).toBe('needs-snapshot');
    expect(lb.onDiff(diff(99, 101, [BID, 10000, 9]))).toBe('needs-snapshot');
    expect(lb.onDiff(diff(102, 102, [ASK, 10001, 0]))).toBe('needs-snapshot');
    expect(lb.bestBid()).toBeUndefined();
    const r = lb.applySnapshot(snap);
    expect(r).toEqual({ outcome: 'synced', applied: 2, dropped: 1 });
    expect(lb.lastUpdateId).toBe(102);
    expect(lb.book.qtyAt(BID, 10000)).toBe(9);
    expect(lb.bestAsk()).toBe(10003);
  });
  it('a snapshot older than the buffered stream is stale (fetch again)', () => {
    const lb = new LocalBook('X', tick);
    lb.onDiff(diff(150, 151));
    expect(lb.applySnapshot(snap).outcome).toBe('stale');
    expect(lb.isSynced).toBe(false);
    expect(lb.bufferedCount).toBe(1);
    expect(lb.firstBufferedU).toBe(150);
  });
  it('snapshot with lastUpdateId = first U - 1 syncs (the first event straddles)', () => {
    const lb = new LocalBook('X', tick);
    lb.onDiff(diff(101, 103));
    expect(lb.applySnapshot(snap)).toEqual({ outcome: 'synced', applied: 1, dropped: 0 });
    expect(lb.lastUpdateId).toBe(103);
  });
  it('a hole inside the buffer after the snapshot is a gap', () => {
    const lb = new LocalBook('X', tick);
    lb.onDiff(diff(99, 101));
    lb.onDiff(diff(105, 106));
    const r = lb.applySnapshot(snap);
    expect(r.outcome).toBe('gap');
    expect(lb.isSynced).toBe(false);
    expect(lb.firstBufferedU).toBe(105);
  });
  it('a buffered stream whose first kept event does not straddle is a gap', () => {
    const lb = new LocalBook('X', tick);
    lb.onDiff(diff(90, 100));
    lb.onDiff(diff(103, 104));
    expect(lb.applySnapshot(snap).outcome).toBe('gap');
  });
  it('no buffered events: synced at lastUpdateId', () => {
    const lb = new LocalBook('X', tick);
    expect(lb.applySnapshot(OrderBook.fromSnapshot(snap, 'X', tick))).toEqual({ outcome: 'synced', applied: 0, dropped: 0 });
    expect(lb.toBook().lastUpdateId).toBe(100);
  });
  it('after sync: applied, ignored (u <= id), gap (U > id + 1) resets and requires a resync', () => {
    const lb = new LocalBook('X', tick);
    lb.applySnapshot(snap);
    expect(lb.onDiff(diff(101, 103, [BID, 10001, 1]))).toBe('applied');
    expect(lb.bestBid()).toBe(10001);
    expect(lb.onDiff(diff(102, 103))).toBe('ignored');
    expect(lb.onDiff(diff(90, 95))).toBe('ignored');
    expect(lb.onDiff(diff(105, 106))).toBe('gap');
    expect(lb.isSynced).toBe(false);
    expect(lb.bestBid()).toBeUndefined();
    expect(() => lb.toBook()).toThrow(/not synced/);
    expect(lb.onDiff(diff(107, 107))).toBe('needs-snapshot');
    expect(lb.bufferedCount).toBe(2);
    const r = lb.applySnapshot({ lastUpdateId: 106, bids: [['100.00', '1']], asks: [['100.02', '1']] });
    expect(r).toEqual({ outcome: 'synced', applied: 1, dropped: 1 });
    expect(lb.lastUpdateId).toBe(107);
  });
  it('reset discards the book (no ghost levels after a reconnect)', () => {
    const lb = new LocalBook('X', tick);
    lb.applySnapshot(snap);
    lb.reset();
    lb.applySnapshot({ lastUpdateId: 500, bids: [['50.00', '1']], asks: [['50.01', '1']] });
    expect(lb.book.qtyAt(BID, 10000)).toBe(0);
    expect(lb.bestBid()).toBe(5000);
  });
  it('the buffer is bounded', () => {
    const lb = new LocalBook('X', tick, { maxBuffer: 3 });
    for (let i = 1; i <= 5; i++) lb.onDiff(diff(i, i));
    expect(lb.bufferedCount).toBe(3);
    expect(lb.firstBufferedU).toBe(3);
  });
});
