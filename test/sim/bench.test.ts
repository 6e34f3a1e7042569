import { describe, it, expect, beforeAll } from 'vitest';
import { loadBenchScenario, type BenchScenario } from '../../src/sim/bench-scenario.js';
import { defaultWindowMs, runBench, type BenchOutput } from '../../src/sim/bench.js';
import type { Results } from '../../src/results/types.js';

const RUN = { id: 'test-run', command: 'mdcache bench (test)', version: '0.0.0-test', host: 'test-host' };
const MIN = 60_000;

function withoutRun(r: Results): Omit<Results, 'run'> {
  const { run: _run, ...rest } = structuredClone(r);
  return rest;
}

describe('runBench (library) on baseline', () => {
  let baseline: BenchScenario;
  let a: BenchOutput;
  let b: BenchOutput;

  beforeAll(async () => {
    baseline = loadBenchScenario('baseline');
    a = await runBench({ bench: baseline, durationMs: 4 * MIN, seed: 11, run: RUN });
    b = await runBench({ bench: baseline, durationMs: 4 * MIN, seed: 11, run: { ...RUN, id: 'another-id' } });
  });

  it('(a) same scenario and seed ⇒ identical results except run, identical .hlog texts', () => {
    expect(a.results.run.id).toBe('test-run');
    expect(b.results.run.id).toBe('another-id');
    expect(a.results.run.clock).toBe('virtual');
    expect(a.results.run.interrupted).toBeUndefined();
    expect(withoutRun(b.results)).toEqual(withoutRun(a.results));
    expect(JSON.stringify(withoutRun(b.results))).toBe(JSON.stringify(withoutRun(a.results)));
    expect(Object.keys(a.hlogs).sort()).toEqual(Object.keys(b.hlogs).sort());
    expect(Object.keys(a.hlogs).length).toBeGreaterThanOrEqual(10);
    for (const k of Object.keys(a.hlogs)) expect(b.hlogs[k], k).toBe(a.hlogs[k]);
    // the results name each .hlog file
    expect(Object.values(a.results.histograms).sort()).toEqual(Object.keys(a.hlogs).sort());
    expect(a.results.seed).toBe(11);
    expect(a.results.duration_ms).toBe(4 * MIN);
    expect(a.results.windows.uncached).toHaveLength(10); // default window: a tenth of the run (24 s)
    expect(a.results.windows.window_ms).toBe(24_000);
  });

  it('(b) a different seed gives different results', async () => {
    const c = await runBench({ bench: baseline, durationMs: 4 * MIN, seed: 12, run: RUN });
    expect(c.results.seed).toBe(12);
    expect(c.results.paths.uncached.fetch_md_ms).not.toEqual(a.results.paths.uncached.fetch_md_ms);
    expect(c.results.paths.cached.tick_total_ms).not.toEqual(a.results.paths.cached.tick_total_ms);
    expect(c.hlogs['uncached.fetch_md.hlog']).not.toBe(a.hlogs['uncached.fetch_md.hlog']);
  });

  it('(c) both paths saw the same ticks and the same stage draws', () => {
    const { uncached, cached } = a.results.paths;
    // ~5 ticks/s for 4 minutes
    expect(uncached.ticks).toBeGreaterThan(1100);
    expect(uncached.ticks).toBeLessThan(1300);
    expect(cached.ticks).toBe(uncached.ticks);
    expect(cached.dropped).toBe(0);
    expect(Object.keys(uncached.stages)).toEqual(['compute_quotes', 'risk_check', 'place_orders']);
    expect(cached.stages).toEqual(uncached.stages);
    for (const s of Object.values(uncached.stages)) expect(s.count).toBe(uncached.ticks);
    a.results.windows.uncached.forEach((w, i) => expect(a.results.windows.cached[i]!.ticks).toBe(w.ticks));
    // ...and the cache is what makes the difference
    expect(cached.fetch_md_ms.p95).toBeLessThan(uncached.fetch_md_ms.p95);
    expect(cached.cache!.hit_ratio).toBeGreaterThan(0.9);
    expect(cached.cache!.gets).toBe(cached.ticks);
  });

  it('(e) the symbols option changes the symbol count (and the ticks with it)', async () => {
    const one = await runBench({ bench: baseline, durationMs: 2 * MIN, seed: 11, run: RUN });
    const three = await runBench({ bench: baseline, durationMs: 2 * MIN, seed: 11, symbols: 3, run: RUN });
    expect(one.results.scenario.symbol_count).toBe(1);
    expect(three.results.scenario.symbol_count).toBe(3);
    const list = (three.results.scenario.symbols as { list: { symbol: string }[] }).list.map((s) => s.symbol);
    expect(list).toHaveLength(3);
    expect(list[0]).toBe('BTCUSDT');
    expect(new Set(list).size).toBe(3);
    const ratio = three.results.paths.uncached.ticks / one.results.paths.uncached.ticks;
    expect(ratio).toBeGreaterThan(2.7);
    expect(ratio).toBeLessThan(3.3);
    expect(three.results.paths.cached.ticks).toBe(three.results.paths.uncached.ticks);
  });

  it('(d) calibration: a 30-minute baseline run reproduces the production figures on the uncached path', async () => {
    const r = (await runBench({ bench: baseline, durationMs: 30 * MIN, run: RUN, gates: null })).results;
    expect(r.seed).toBe(42); // the scenario's seed
    expect(r.gates).toBeUndefined();
    const u = r.paths.uncached;
    expect(u.fetch_md_ms.p95).toBeGreaterThanOrEqual(55 * 0.95);
    expect(u.fetch_md_ms.p95).toBeLessThanOrEqual(55 * 1.05);
    expect(u.tick_total_ms.p95).toBeGreaterThanOrEqual(145 * 0.95);
    expect(u.tick_total_ms.p95).toBeLessThanOrEqual(145 * 1.05);
    expect(u.deadline_miss_ratio).toBeGreaterThanOrEqual(0.005 - 0.003);
    expect(u.deadline_miss_ratio).toBeLessThanOrEqual(0.005 + 0.003);
    expect(r.windows.uncached).toHaveLength(30);
  }, 60_000);
});

describe('defaultWindowMs', () => {
  it('is a tenth of the run in whole seconds, between 1 s and 1 minute', () => {
    expect(defaultWindowMs(30 * MIN)).toBe(60_000);
    expect(defaultWindowMs(5 * MIN)).toBe(30_000);
    expect(defaultWindowMs(2 * MIN)).toBe(12_000);
    expect(defaultWindowMs(5_000)).toBe(1_000);
  });
});
