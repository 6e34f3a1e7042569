import { describe, it, expect } from 'vitest';
import { slabFloat64 } from '../../src/market/f64-slab.js';

describe('slabFloat64', () => {
  it('gives zero-filled arrays of the asked length that never overlap, across slab boundaries', () => {
    const views: Float64Array[] = [];
    for (let i = 0; i < 200; i++) {
      const v = slabFloat64(1 + (i % 97)); // ~10,000 doubles: more than one 8,192-double slab
      expect(v.length).toBe(1 + (i % 97));
      expect(v.every((x) => x === 0)).toBe(true);
      v.fill(i + 1);
      views.push(v);
    }
    // every view still holds only its own writes
    views.forEach((v, i) => expect(v.every((x) => x === i + 1)).toBe(true));
  });

  it('large arrays get their own buffer', () => {
    const big = slabFloat64(5000);
    expect(big.length).toBe(5000);
    expect(big.byteOffset).toBe(0);
    expect(big.buffer.byteLength).toBe(5000 * 8);
    expect(slabFloat64(0).length).toBe(0);
  });
});
