import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { priceToTicks, ticksToPrice, parseTickSize, TickError, formatQty, parseQty, nearestTicks } from '../../src/market/ticks.js';

describe('tick math', () => {
  it('counts ticks exactly on decimal strings', () => {
    expect(priceToTicks('0.3', '0.1')).toBe(3);
    expect(priceToTicks('0.30', '0.1')).toBe(3);
    expect(priceToTicks('65000.00', '0.01')).toBe(6_500_000);
    expect(priceToTicks('65000', '0.01')).toBe(6_500_000);
    expect(priceToTicks('0.00012', '0.00001')).toBe(12);
    expect(priceToTicks('101.5', '0.5')).toBe(203);
    expect(priceToTicks('100', '5')).toBe(20);
    expect(priceToTicks('0', '0.01')).toBe(0);
  });

  it('rejects off-grid prices with a typed error', () => {
    expect(() => priceToTicks('0.35', '0.1')).toThrow(TickError);
    expect(() => priceToTicks('101.25', '0.5')).toThrow(/not on the tick grid of 0.5/);
    expect(() => priceToTicks('0.000015', '0.00001')).toThrow(TickError);
    expect(() => priceToTicks('-1', '0.01')).toThrow(TickError);
    expect(() => priceToTicks('1e3', '0.01')).toThrow(TickError);
    expect(() => priceToTicks('abc', '0.01')).toThrow(/not a decimal/);
  });

  it('rejects bad tick sizes', () => {
    expect(() => parseTickSize('0')).toThrow(/greater than 0/);
    expect(() => parseTickSize('0.00')).toThrow(TickError);
    expect(() => parseTickSize('-0.1')).toThrow(TickError);
    expect(parseTickSize('0.05')).toMatchObject({ decimals: 2, unitsNum: 5 });
  });

  it('formats ticks with the tick size decimals', () => {
    expect(ticksToPrice(3, '0.1')).toBe('0.3');
    expect(ticksToPrice(6_500_000, '0.01')).toBe('65000.00');
    expect(ticksToPrice(12, '0.00001')).toBe('0.00012');
    expect(ticksToPrice(203, '0.5')).toBe('101.5');
    expect(ticksToPrice(0, '0.01')).toBe('0.00');
    expect(ticksToPrice(20, '5')).toBe('100');
    expect(() => ticksToPrice(1.5, '0.01')).toThrow(TickError);
  });

  it('uses BigInt beyond 2^53 intermediate values', () => {
    expect(priceToTicks("90071992.54740991", "0.00000001")).toBe(9_007_199_254_740_991);
    expect(() => priceToTicks("123456789012.34567", "0.00001")).toThrow(/too many/);
    expect(ticksToPrice(9_007_199_254_740_991, '0.00000001')).toBe('90071992.54740991');
  });

  it('nearestTicks rounds generated prices onto the grid', () => {
    expect(nearestTicks('101.3', '0.5')).toBe(203);
    expect(nearestTicks('101.25', '0.5')).toBe(203);
  });

  it('quantities are float64 formatted with fixed decimals', () => {
    expect(formatQty(parseQty('431.00000000'), 8)).toBe('431.00000000');
    expect(formatQty(parseQty('0.12345'), 5)).toBe('0.12345');
    expect(() => parseQty('1,5')).toThrow(TickError);
  });

  const ticks = fc.constantFrom('0.01', '0.00001', '0.5', '0.1', '1', '0.25', '0.00000001', '10');
  it('property: ticks → price → ticks round-trips', () => {
    fc.assert(
      fc.property(ticks, fc.integer({ min: 0, max: 2 ** 40 }), (t, n) => {
        expect(priceToTicks(ticksToPrice(n, t), t)).toBe(n);
      }),
    );
  });
  it('property: an on-grid price string round-trips to the same canonical string', () => {
    fc.assert(
      fc.property(ticks, fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 3 }), (t, n, extraZeros) => {
        const p = ticksToPrice(n, t);
        const padded = p.includes('.') ? p + '0'.repeat(extraZeros) : p;
        expect(ticksToPrice(priceToTicks(padded, t), t)).toBe(p);
      }),
    );
  });
  it('property: a price between two grid points is rejected', () => {
    fc.assert(
      fc.property(fc.constantFrom('0.01', '0.5', '0.00001'), fc.integer({ min: 0, max: 1_000_000 }), (t, n) => {
        const p = ticksToPrice(n, t) + (t === '0.5' ? '' : '5');
        if (t === '0.5') expect(() => priceToTicks(ticksToPrice(n, '0.1').replace(/\.\d$/, '.3'), t)).toThrow(TickError);
        else expect(() => priceToTicks(p, t)).toThrow(TickError);
      }),
    );
  });
});
