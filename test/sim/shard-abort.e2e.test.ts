/**
 * Ctrl-C on a sharded bench (`bench --jobs N`): the worker threads stop soon, at a step of the common grid,
 * and the run is marked interrupted (the real simulator and worker threads; the workers run the built dist/).
 * The abort lands at an arbitrary wall-clock moment: what is checked holds wherever it lands.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBenchScenario } from '../../src/sim/bench-scenario.js';
import { runBench, type BenchOutput } from '../../src/sim/bench.js';
import { ensureBuilt } from '../helpers/cli.js';

const RUN = { id: 'shard-abort-test', command: 'mdcache bench (test)', version: '0.0.0-test', host: 'test-host' };
const strip = (o: BenchOutput): string => JSON.stringify({ ...o.results, run: null });
const FOUR_HOURS = 4 * 3_600_000;

describe('an interrupted sharded bench', () => {
  beforeAll(() => ensureBuilt());

  it('stops the shards soon, at a step of the common grid, and marks the run interrupted', async () => {
    const bench = loadBenchScenario('flaky-ws');
    const ac = new AbortController();
    // 6 symbols × 4 simulated hours would take minutes; the abort comes once the workers are running
    const sharded = runBench({ bench, durationMs: FOUR_HOURS, seed: 9, symbols: 6, jobs: 2, run: RUN, signal: ac.signal });
    setTimeout(() => ac.abort(), 300);
    const out = await sharded;
    expect(out.results.run.interrupted).toBe(true);
    expect(out.results.run.shards).toBe(2);
    const at = out.results.duration_ms;
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(FOUR_HOURS);
    expect(at % 1000).toBe(0); // a step of the common grid

    // Not asserted: that these results equal one thread stopped at the same time. They did in every run here
    // but one (CI on a fresh clone, 28 Nov 01:34 UTC: 73 ticks per path sharded vs 88 on one thread, both at
    // 3,000 ms) — an open defect, see the README (Sharding).
  }, 300_000);

  it('aborted before it starts: every shard stops at the first step, still one time for all', async () => {
    const bench = loadBenchScenario('flaky-ws');
    const ac = new AbortController();
    ac.abort();
    const out = await runBench({ bench, durationMs: FOUR_HOURS, seed: 9, symbols: 6, jobs: 2, run: RUN, signal: ac.signal });
    expect(out.results.run.interrupted).toBe(true);
    expect(out.results.duration_ms).toBe(1000);
  }, 120_000);
});
