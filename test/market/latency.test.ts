import { describe, it, expect } from 'vitest';
import { Reader } from '../../src/config/reader.js';
import { rngStream } from '../../src/core/rng.js';
import { readLatency, latencySampler, quantile, latencyCdf, latencyMean, normalQuantile, type LatencySpec } from '../../src/market/latency.js';

function sampleQuantiles(spec: LatencySpec, n = 200_000, seed = 'lat'): (q: number) => number {
  const draw = latencySampler(spec, rngStream(seed, 'x'));
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) xs[i] = draw();
  xs.sort();
  return (q) => xs[Math.floor(q * n)]!;
}

describe('latency models', () => {
  it('lognormal is fitted exactly to p50/p95 and samples match within 1.5%', () => {
    const spec: LatencySpec = { model: 'lognormal', p50_ms: 20, p95_ms: 55 };
    expect(quantile(spec, 0.5)).toBeCloseTo(20, 9);
    expect(quantile(spec, 0.95)).toBeCloseTo(55, 6);
    const sq = sampleQuantiles(spec);
    expect(Math.abs(sq(0.5) / 20 - 1)).toBeLessThan(0.015);
    expect(Math.abs(sq(0.95) / 55 - 1)).toBeLessThan(0.015);
  });
  it('uniform and constant', () => {
    const u: LatencySpec = { model: 'uniform', min_ms: 10, max_ms: 30 };
    const sq = sampleQuantiles(u);
    expect(Math.abs(sq(0.5) - 20)).toBeLessThan(0.3);
    expect(Math.abs(sq(0.95) - 29)).toBeLessThan(0.3);
    expect(quantile(u, 0.25)).toBe(15);
    expect(latencySampler({ model: 'constant', ms: 7 }, rngStream(1, 'c'))()).toBe(7);
    expect(quantile({ model: 'constant', ms: 7 }, 0.99)).toBe(7);
  });
  it('mixture: 98% lognormal + 2% spikes; analytic quantiles (bisection) match samples', () => {
    const spec: LatencySpec = {
      model: 'mixture',
      components: [
        { weight: 0.98, model: 'lognormal', p50_ms: 20, p95_ms: 55 },
        { weight: 0.02, model: 'uniform', min_ms: 300, max_ms: 500 },
      ],
    };
    const sq = sampleQuantiles(spec);
    for (const q of [0.5, 0.9, 0.95, 0.99]) {
      const a = quantile(spec, q);
      expect(latencyCdf(spec, a)).toBeCloseTo(q, 6);
      expect(Math.abs(sq(q) / a - 1)).toBeLessThan(0.02);
    }
    expect(latencyMean(spec)).toBeGreaterThan(25);
  });
  it('normalQuantile inverts the normal CDF', () => {
    expect(normalQuantile(0.95)).toBeCloseTo(1.6448536269514722, 7);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306, 6);
  });
  it('readLatency validates every model and reports all problems with paths', () => {
    const r = new Reader();
    readLatency(r, { model: 'lognormal', p50_ms: 60, p95_ms: 55, extra: 1 }, 'rest.latency');
    readLatency(r, { model: 'gaussian' }, 'a');
    readLatency(r, { model: 'uniform', min_ms: 5 }, 'b');
    readLatency(r, { model: 'mixture', components: [{ model: 'constant', ms: -1 }, { weight: 1, model: 'mixture' }] }, 'c');
    readLatency(r, { p50_ms: 3 }, 'd');
    const msgs = r.problems.map((p) => `${p.path}: ${p.message}`);
    expect(msgs).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^rest\.latency\.extra: unknown key/),
        'rest.latency.p95_ms: 55 must be >= p50_ms (60)',
        expect.stringMatching(/^a\.model: 'gaussian' is not allowed/),
        'b.max_ms: missing',
        'c.components[0].weight: missing; a number > 0',
        'c.components[0].ms: -1 is out of range [0, 3600000]',
        expect.stringMatching(/^c\.components\[1\]\.model: 'mixture' is not allowed/),
        expect.stringMatching(/^d\.model: missing/),
      ]),
    );
  });
  it('mixture weights are normalised', () => {
    const r = new Reader();
    const s = readLatency(r, { model: 'mixture', components: [{ weight: 3, model: 'constant', ms: 1 }, { weight: 1, model: 'constant', ms: 2 }] }, 'x');
    expect(r.ok).toBe(true);
    expect(s.model === 'mixture' && s.components.map((c) => c.weight)).toEqual([0.75, 0.25]);
  });
});
