import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bootstrap, mannWhitneyU, mean, normalCdf, quantile } from '../../src/gates/stats.js';

describe('Mann-Whitney U', () => {
  // scipy.stats.mannwhitneyu documentation example (males vs females).
  const males = [19, 22, 16, 29, 24];
  const females = [20, 11, 17, 12];

  it('matches the textbook example, exact (no ties)', () => {
    const r = mannWhitneyU(males, females, 'two-sided');
    expect(r.u).toBe(17);
    expect(r.method).toBe('exact');
    expect(r.p).toBeCloseTo(0.1111111111111111, 12);
    expect(mannWhitneyU(males, females, 'greater').p).toBeCloseTo(0.05555555555555555, 12);
    expect(mannWhitneyU(males, females, 'less').p).toBeCloseTo(0.9682539682539683, 12);
  });

  it('uses the normal approximation with tie and continuity correction when there are ties (scipy asymptotic)', () => {
    const x = [1, 2, 2, 3, 3, 3, 4, 7];
    const y = [2, 3, 4, 5, 5, 6, 8, 9, 9];
    const two = mannWhitneyU(x, y, 'two-sided');
    expect(two.method).toBe('normal');
    expect(two.u).toBe(14);
    expect(two.p).toBeCloseTo(0.03655213558327831, 6);
    expect(mannWhitneyU(x, y, 'less').p).toBeCloseTo(0.018276067791639154, 6);
    expect(mannWhitneyU(x, y, 'greater').p).toBeCloseTo(0.9856642836466355, 6);
  });

  it('is exact for 30 + 30 untied values (scipy exact)', () => {
    const x = [12.576, 12.899, 10.133, 8.471, 7.816, 10.063, 7.956, 7.126, 10.399, 10.267, 11.093, 8.172, 10.01, 9.871, 6.988, 11.076, 10.641, 14.778, 10.406, 9.711, 12.466, 10.398, 11.818, 9.269, 10.436, 12.049, 11.392, 10.257, 7.835, 10.89];
    const y = [11.154, 12.441, 11.432, 13.176, 10.897, 11.404, 12.334, 8.826, 10.197, 10.0, 14.961, 10.814, 12.304, 12.239, 10.438, 7.898, 12.93, 10.186, 12.436, 8.389, 10.124, 13.514, 13.862, 8.395, 8.334, 10.911, 12.456, 11.321, 11.607, 9.022];
    const r = mannWhitneyU(x, y, 'less');
    expect(r.u).toBe(315);
    expect(r.method).toBe('exact');
    expect(r.p).toBeCloseTo(0.023104923607143075, 9);
    expect(mannWhitneyU(x, y).p).toBeCloseTo(0.04620984721428615, 9);
  });

  it('gives the smallest possible p when the samples are separated, and 1-ish when identical', () => {
    expect(mannWhitneyU([1, 2, 3], [4, 5, 6], 'less').p).toBeCloseTo(1 / 20, 12);
    expect(mannWhitneyU([5, 5, 5], [5, 5, 5]).p).toBe(1);
    expect(Number.isNaN(mannWhitneyU([], [1]).p)).toBe(true);
  });

  it('U of x plus U of y is n1·n2 and p stays in [0, 1]', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 25 }), fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 25 }), (x, y) => {
        const a = mannWhitneyU(x, y, 'two-sided');
        const b = mannWhitneyU(y, x, 'two-sided');
        expect(a.u + b.u).toBeCloseTo(x.length * y.length, 9);
        expect(a.p).toBeGreaterThanOrEqual(0);
        expect(a.p).toBeLessThanOrEqual(1);
        expect(a.p).toBeCloseTo(b.p, 9);
      }),
      { numRuns: 200 },
    );
  });
});

describe('quantile, mean, normalCdf', () => {
  it('interpolates linearly (type 7)', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([10, 0], 0.25)).toBe(2.5);
    expect(quantile([7], 0.99)).toBe(7);
    expect(mean([1, 2, 3, 6])).toBe(3);
  });
  it('normal CDF is accurate to ~1e-7', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 7);
    expect(normalCdf(-2.5758293035489)).toBeCloseTo(0.005, 7);
  });
});

describe('bootstrap', () => {
  const xs = [3, 5, 4, 8, 6, 5, 7, 4, 6, 5, 9, 2];
  const stat = (idx: readonly number[]): number => mean(idx.map((i) => xs[i]!));
  it('is deterministic for a seed and differs across seeds', () => {
    const a = bootstrap(xs.length, stat, { seed: 42, stream: 's' });
    const b = bootstrap(xs.length, stat, { seed: 42, stream: 's' });
    const c = bootstrap(xs.length, stat, { seed: 43, stream: 's' });
    expect(a).toEqual(b);
    expect([c.lo, c.hi]).not.toEqual([a.lo, a.hi]);
  });
  it('brackets the estimate and narrows with more data', () => {
    const a = bootstrap(xs.length, stat, { seed: 1 });
    expect(a.estimate).toBeCloseTo(5.333333, 5);
    expect(a.lo).toBeLessThan(a.estimate);
    expect(a.hi).toBeGreaterThan(a.estimate);
    const big = Array.from({ length: 16 }, () => xs).flat();
    const b = bootstrap(big.length, (idx) => mean(idx.map((i) => big[i]!)), { seed: 1 });
    expect(b.hi - b.lo).toBeLessThan((a.hi - a.lo) / 2);
  });
});
