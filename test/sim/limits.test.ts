/**
 * #15.5 / #15.21 / #15.22: a run's windows are bounded (so is its memory, whatever the duration), and the abort
 * signal is seen within a simulated second: no tick starts after it.
 */
import { describe, expect, it } from 'vitest';
import { loadBenchScenario } from '../../src/sim/bench-scenario.js';
import { defaultWindowMs, runBench } from '../../src/sim/bench.js';
import { MAX_WINDOWS, MAX_VIRTUAL_DURATION_MS, minWindowMs } from '../../src/sim/limits.js';

const RUN = { id: 'limits', command: 'test', version: '0', host: 'test' };
const H = 3_600_000;

describe('window limits', () => {
  it('the default window keeps every run within MAX_WINDOWS windows, up to the longest run', () => {
    for (const d of [1000, 60_000, 30 * 60_000, 10 * H, 17 * H, MAX_VIRTUAL_DURATION_MS]) {
      const w = defaultWindowMs(d);
      expect(Math.ceil(d / w), `duration ${d}`).toBeLessThanOrEqual(MAX_WINDOWS);
      expect(w).toBeGreaterThanOrEqual(1000);
    }
    expect(defaultWindowMs(30 * 60_000)).toBe(60_000); // unchanged for ordinary runs
    expect(defaultWindowMs(24 * H)).toBe(87_000);
  });

  it('minWindowMs is the shortest window within the bound', () => {
    expect(minWindowMs(60_000)).toBe(60);
    expect(Math.ceil(60_000 / minWindowMs(60_000))).toBe(MAX_WINDOWS);
    expect(minWindowMs(24 * H)).toBe(87_000);
  });

  it('runBench refuses a window that makes more than MAX_WINDOWS windows', async () => {
    await expect(runBench({ bench: loadBenchScenario('baseline'), durationMs: 60_000, windowMs: 1, run: RUN })).rejects.toThrow(/more than 1000 windows/);
  });
});

describe('abort responsiveness', () => {
  it('an abort is seen within a simulated second of a long run, and no tick starts after it', async () => {
    const ac = new AbortController();
    let abortedAt = -1;
    const { results } = await runBench({
      bench: loadBenchScenario('baseline'),
      durationMs: 1000 * H, // far beyond what the test could run: only the abort ends it
      seed: 3,
      gates: null,
      windowMs: 1000 * H / MAX_WINDOWS,
      signal: ac.signal,
      run: RUN,
      onProgress: (t) => {
        if (t >= 5000 && abortedAt < 0) {
          abortedAt = t;
          ac.abort(new Error('test stop'));
        }
      },
    });
    expect(results.run.interrupted).toBe(true);
    expect(abortedAt).toBeGreaterThanOrEqual(5000);
    expect(abortedAt).toBeLessThanOrEqual(6000); // progress (and the abort check) at least every simulated second
    expect(results.duration_ms).toBe(abortedAt);
    // ~5 ticks/s: ticks up to the abort only (a tick is ~100 ms of work, so none is counted past it)
    expect(results.paths.uncached.ticks).toBeLessThanOrEqual(Math.ceil((abortedAt / 1000) * 5 * 1.5));
    expect(results.paths.uncached.ticks).toBeGreaterThan(0);
  });
});
