import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseDepthEvent, parseExchangeInfo } from '../../src/net/validate.js';
import { MalformedError } from '../../src/net/errors.js';
import { isDecimal, priceToTicks, TickError } from '../../src/market/ticks.js';

/** The checked definition, level by level: what parseDepthEvent's fast path must reproduce exactly. */
function reference(price: string, qty: string, tick: string, min: number, max: number): number[] | 'error' {
  if (!isDecimal(qty)) return 'error';
  let t: number;
  try {
    t = priceToTicks(price, tick);
  } catch (err) {
    if (err instanceof TickError) return 'error';
    throw err;
  }
  if (t < min || t > max) return 'error';
  return [0, t, Number(qty)];
}

const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom('0', '1', '2', '3', '5', '7', '9'), minLength: min, maxLength: max });
const decimalish = fc.oneof(
  fc.tuple(digits(1, 9), digits(0, 10)).map(([i, f]) => (f ? `${i}.${f}` : i)),
  fc.tuple(digits(1, 12), digits(1, 12)).map(([i, f]) => `${i}.${f}`), // often > 15 digits: the BigInt path
  fc.constantFrom('', '.', '1.', '.5', '1..2', '-1', '1e3', ' 1', '1,5', '0x10', '١٢', '1.2.3', '00012.5000'),
);

describe('parseDepthEvent: the one-pass price/quantity check equals the checked definition', () => {
  for (const tick of ['0.01', '0.00001', '0.5', '1', '0.25']) {
    it(`tick ${tick}: same ticks, same quantities, an error exactly when the definition errs`, () => {
      const info = parseExchangeInfo({ symbols: [{ symbol: 'S', filters: [{ filterType: 'PRICE_FILTER', minPrice: tick, maxPrice: '900000000', tickSize: tick }] }] });
      const sym = info.get('S')!;
      fc.assert(
        fc.property(decimalish, decimalish, (price, qty) => {
          const want = reference(price, qty, tick, sym.minPriceTicks, sym.maxPriceTicks);
          const ev = { e: 'depthUpdate', E: 1, s: 'S', U: 1, u: 1, b: [[price, qty]], a: [] };
          if (want === 'error') expect(() => parseDepthEvent(ev, info)).toThrow(MalformedError);
          else expect(parseDepthEvent(ev, info).changes).toEqual(want);
        }),
        { numRuns: 3000 },
      );
    });
  }

  it('an error names the side and the level index', () => {
    const info = parseExchangeInfo({ symbols: [{ symbol: 'S', filters: [{ filterType: 'PRICE_FILTER', minPrice: '0.01', maxPrice: '1000', tickSize: '0.01' }] }] });
    const ev = { e: 'depthUpdate', E: 1, s: 'S', U: 1, u: 2, b: [['1.00', '1']], a: [['1.01', '1'], ['1.015', '2']] };
    expect(() => parseDepthEvent(ev, info)).toThrow("depthUpdate S.a[1]: price '1.015' is not on the tick grid of 0.01");
  });
});
