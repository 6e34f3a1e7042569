import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { OrderBook } from '../../src/market/book.js';
import { decodeBook, encodeBook } from '../../src/market/book-codec.js';
import { parseTickSize } from '../../src/market/ticks.js';

describe('book codec (binary, for the shared tier)', () => {
  it('round-trips every level, the metadata and the tick size exactly', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 2 ** 40 }), fc.double({ min: 1e-8, max: 1e6, noNaN: true })), { maxLength: 60 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 2 ** 40 }), fc.double({ min: 1e-8, max: 1e6, noNaN: true })), { maxLength: 60 }),
        fc.constantFrom('0.01', '1', '0.00000001', '25'),
        fc.nat(),
        (bids, asks, tick, id) => {
          const book = OrderBook.fromLevels(
            { symbol: 'BTCUSDT', tick: parseTickSize(tick), qtyDecimals: 6, lastUpdateId: id, exchangeTime: 1234.5, takenAt: 99 },
            bids.map((b) => b[0]),
            bids.map((b) => b[1]),
            asks.map((a) => a[0]),
            asks.map((a) => a[1]),
          );
          const bytes = encodeBook(book);
          expect(bytes.byteLength).toBe(40 + Math.ceil(tick.length / 8) * 8 + 16 * (bids.length + asks.length));
          const back = decodeBook(bytes, 'BTCUSDT', 7);
          expect(back.sameLevels(book)).toBe(true);
          expect(back.tick.str).toBe(tick);
          expect(back.lastUpdateId).toBe(id);
          expect(back.exchangeTime).toBe(1234.5);
          expect(back.qtyDecimals).toBe(6);
          expect(back.takenAt).toBe(7); // the reader's clock, not the writer's
        },
      ),
    );
  });

  it('rejects truncated or foreign bytes', () => {
    const book = OrderBook.fromLevels({ symbol: 'X', tick: parseTickSize('0.1'), lastUpdateId: 1 }, [10], [1], [11], [2]);
    const bytes = encodeBook(book);
    expect(() => decodeBook(bytes.subarray(0, bytes.length - 1), 'X')).toThrow(/bytes/);
    const bad = bytes.slice();
    bad[0] = 9;
    expect(() => decodeBook(bad, 'X')).toThrow(/version/);
  });
});
