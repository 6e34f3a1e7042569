/**
 * Merging runs (src/sim/merge.ts): the real simulator in virtual time, run folders written to a temp dir,
 * nothing mocked. The exactness proof: every symbol of a bench is independent (see shard.ts), so runs over
 * disjoint symbol sets, merged, must reproduce the single run over all of them — paths, windows, spectra,
 * gates and the .hlog files byte for byte.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveRunDir } from '../helpers/run-dir.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Reader } from '../../src/config/reader.js';
import { loadBenchScenario, type BenchScenario } from '../../src/sim/bench-scenario.js';
import { runBench, type BenchOutput } from '../../src/sim/bench.js';
import { readArms } from '../../src/sim/arms.js';
import { resolveSymbols, withSymbolCount, type Scenario } from '../../src/scenario/scenario.js';
import { loadRun, mergeRuns, type LoadedRun } from '../../src/sim/merge.js';
import { parseHlog } from '../../src/metrics/hlog.js';
import { UsageError } from '../../src/core/errors.js';

const RUN = { id: 'merge-test', command: 'mdcache bench (test)', version: '0.0.0-test', host: 'test-host' };
const MERGE = { id: 'merged', command: 'mdcache merge (test)', version: '0.0.0-test', host: 'test-host' };
const DURATION = 60_000;
const WINDOW = 6_000;

let root: string;
let n = 0;
const save = (o: BenchOutput): string => saveRunDir(join(root, `run${n++}`), o);

function withSymbols(sc: Scenario, pick: (i: number) => boolean): Scenario {
  return { ...sc, symbols: { list: resolveSymbols(sc).filter((_, i) => pick(i)) } };
}

/** What must be identical between a merge and the run it reproduces (everything but run identity and scenario symbol order). */
const figures = (r: BenchOutput['results']): unknown => ({ paths: r.paths, windows: r.windows, spectra: r.spectra, histograms: r.histograms, gates: r.gates, verdict: r.verdict, arms: r.arms, duration_ms: r.duration_ms });

describe('mergeRuns', () => {
  let bench: BenchScenario;
  let four: Scenario;
  let whole: BenchOutput;
  let halves: string[];
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'mdcache-merge-'));
    bench = loadBenchScenario('flaky-ws');
    four = withSymbolCount(bench.scenario, 4);
    const run = (sc: Scenario, seed = 9, windowMs = WINDOW, b: BenchScenario = bench): Promise<BenchOutput> => runBench({ bench: { ...b, scenario: sc }, durationMs: DURATION, windowMs, seed, run: RUN });
    whole = await run(four);
    halves = [save(await run(withSymbols(four, (i) => i % 2 === 0))), save(await run(withSymbols(four, (i) => i % 2 === 1)))];
  }, 120_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('runs over disjoint symbols merge into exactly the run over all of them (figures, gates, .hlog bytes)', () => {
    const m = mergeRuns(halves.map((d) => loadRun(d)), { run: MERGE });
    expect(m.results.paths.cached.ticks).toBeGreaterThan(1000);
    expect(figures(m.results)).toEqual(figures(whole.results));
    expect(m.hlogs).toEqual(whole.hlogs);
    expect(m.results.scenario.symbol_count).toBe(4);
    expect([...(m.results.scenario.symbols as { list: { symbol: string }[] }).list].map((s) => s.symbol).sort()).toEqual(resolveSymbols(four).map((s) => s.symbol).sort());
    expect(m.results.run.merged?.runs.map((r) => r.dir)).toEqual(halves);
    expect(m.results.run.command).toBe(MERGE.command);
    expect(m.notices).toEqual([]);
  });

  it('a run merged with itself (forced) doubles every count and keeps every latency percentile', () => {
    const r = loadRun(halves[0]!);
    const m = mergeRuns([r, { ...r, dir: r.dir + '/.' }], { run: MERGE, force: true });
    const a = r.results.paths.cached;
    const b = m.results.paths.cached;
    expect(b.ticks).toBe(2 * a.ticks);
    expect(b.rest!.requests).toBe(2 * a.rest!.requests);
    expect(b.rest!.weight).toBe(2 * a.rest!.weight);
    expect(b.cache!.gets).toBe(2 * a.cache!.gets);
    expect(b.cache!.refreshes).toBe(2 * a.cache!.refreshes);
    expect(b.cache!.hit_ratio).toBe(a.cache!.hit_ratio);
    for (const m2 of ['fetch_md_ms', 'tick_total_ms'] as const) expect({ ...b[m2], count: 0 }).toEqual({ ...a[m2], count: 0 });
    expect(b.fetch_md_ms.count).toBe(2 * a.fetch_md_ms.count);
    expect(m.results.windows.cached.map((w) => w.ticks)).toEqual(r.results.windows.cached.map((w) => 2 * w.ticks));
    expect(m.notices.join('\n')).toMatch(/same run folder.*--force/);
    expect(m.results.run.merged?.forced?.length).toBe(1);
  });

  it('the shared tier counts are summed by a plain merge (round trip: the worst run percentiles)', () => {
    const tier = (k: number) => ({ l2_hits: 10 * k, l2_misses: k, lease_wins: 2 * k, lease_waits: 3 * k, lease_timeouts: 0, writes_refused: k, errors: 0, fallbacks: k - 1, resyncs: 0, rtt_ms: { p50: 0.1 * k, p99: 0.5 * k, max: k, count: 100 * k } });
    const runs = halves.map((d, i) => {
      const r = loadRun(d);
      r.results.paths.cached.cache!.shared = tier(i + 1);
      return r;
    });
    const m = mergeRuns(runs, { run: MERGE });
    expect(m.results.paths.cached.cache!.shared).toEqual({ l2_hits: 30, l2_misses: 3, lease_wins: 6, lease_waits: 9, lease_timeouts: 0, writes_refused: 3, errors: 0, fallbacks: 1, resyncs: 0, rtt_ms: { p50: 0.2, p99: 1, max: 2, count: 300 } });
    // runs without a shared tier: no block
    expect(mergeRuns(halves.map((d) => loadRun(d)), { run: MERGE }).results.paths.cached.cache!.shared).toBeUndefined();
  });

  it('histogram totals of a merge are the sums of the runs\' counts, for any grouping of the runs (property)', () => {
    const runs = halves.map((d) => loadRun(d));
    fc.assert(
      fc.property(fc.shuffledSubarray([0, 1], { minLength: 1 }), (pick) => {
        const chosen = pick.map((i) => runs[i]!);
        const m = mergeRuns(chosen, { run: MERGE, gates: null });
        for (const [name, text] of Object.entries(m.hlogs)) {
          const key = name.replace(/\.hlog$/, '');
          const sum = chosen.reduce((s, r) => s + (r.hlogs[key]?.totalCount ?? 0), 0);
          expect(parseHlog(text, WINDOW, key.endsWith('tob_error_ticks') ? 1 : 1000).totalCount).toBe(sum);
        }
        expect(m.results.paths.uncached.ticks).toBe(chosen.reduce((s, r) => s + r.results.paths.uncached.ticks, 0));
      }),
      { numRuns: 6 },
    );
  });

  it('named arms merge path by path', async () => {
    const r = new Reader();
    const arms = readArms(r, [{ name: 'a' }, { name: 'b', md_cache: { ttl_ms: 300 } }], bench.mdCacheRaw)!;
    const go = (sc: Scenario): Promise<BenchOutput> => runBench({ bench: { ...bench, scenario: sc }, durationMs: DURATION, windowMs: WINDOW, seed: 3, arms, run: RUN });
    const all = await go(four);
    const parts = [save(await go(withSymbols(four, (i) => i < 1))), save(await go(withSymbols(four, (i) => i >= 1)))];
    const m = mergeRuns(parts.map((d) => loadRun(d)), { run: MERGE });
    expect(figures(m.results)).toEqual(figures(all.results));
    expect(m.hlogs).toEqual(all.hlogs);
  }, 60_000);

  describe('refusals (UsageError, one line naming what differs)', () => {
    const merge = (dirs: string[], force = false): unknown => {
      try {
        mergeRuns(dirs.map((d) => loadRun(d)), { run: MERGE, force });
        return 'merged';
      } catch (err) {
        expect(err).toBeInstanceOf(UsageError);
        expect((err as Error).message).not.toContain('\n');
        return (err as Error).message;
      }
    };

    it('different window lengths: always refused, even with force', async () => {
      const other = save(await runBench({ bench: { ...bench, scenario: withSymbols(four, (i) => i === 1) }, durationMs: DURATION, windowMs: 10_000, seed: 9, run: RUN }));
      expect(merge([halves[0]!, other])).toMatch(/different window lengths \(6000 ms vs 10000 ms\)/);
      expect(merge([halves[0]!, other], true)).toMatch(/cannot merge/);
    });

    it('a different md_cache: refused naming the field; merged with force and recorded', async () => {
      const b2 = loadBenchScenario('flaky-ws');
      b2.mdCache = { ...b2.mdCache, ttl_ms: b2.mdCache.ttl_ms + 50 };
      const other = await runBench({ bench: { ...b2, scenario: withSymbols(four, (i) => i === 1) }, durationMs: DURATION, windowMs: WINDOW, seed: 9, run: RUN });
      const dir = save(other);
      expect(merge([halves[0]!, dir])).toMatch(/refusing to merge: .* differ in scenario\.md_cache\.ttl_ms \(\d+ vs \d+\); use --force/);
      expect(merge([halves[0]!, dir], true)).toBe('merged');
    });

    it('virtual runs with the same seed and symbols are identical workloads: refused unless forced', async () => {
      const again = save(await runBench({ bench: { ...bench, scenario: withSymbols(four, (i) => i % 2 === 0) }, durationMs: DURATION, windowMs: WINDOW, seed: 9, run: RUN }));
      expect(merge([halves[0]!, again])).toMatch(/same seed \(9\) and symbols/);
      expect(merge([halves[0]!, again], true)).toBe('merged');
    });

    it('missing folder, no results.json, corrupt or missing .hlog', () => {
      expect(merge([join(root, 'nope')])).toMatch(/no such directory/);
      const empty = join(root, 'empty');
      mkdirSync(empty);
      expect(merge([empty])).toMatch(/has no results\.json/);
      const bad = join(root, 'bad');
      mkdirSync(bad);
      for (const f of ['results.json', 'cached.fetch_md.hlog', 'cached.tick_total.hlog']) writeFileSync(join(bad, f), readFileSync(join(halves[0]!, f)));
      expect(merge([bad])).toMatch(/bad\/uncached\.fetch_md\.hlog is missing/);
      // Corrupt one interval's histogram (its base64 counts) in an otherwise complete folder.
      const h = readFileSync(join(halves[0]!, 'cached.fetch_md.hlog'), 'utf8').split('\n');
      const i = h.findIndex((l) => /^\d/.test(l));
      const cols = h[i]!.split(',');
      cols[3] = cols[3]!.slice(0, 20) + 'AAAA' + cols[3]!.slice(24);
      h[i] = cols.join(',');
      const corrupt = join(root, 'corrupt');
      mkdirSync(corrupt);
      for (const f of Object.values(JSON.parse(readFileSync(join(halves[0]!, 'results.json'), 'utf8')).histograms as Record<string, string>)) writeFileSync(join(corrupt, f), readFileSync(join(halves[0]!, f)));
      writeFileSync(join(corrupt, 'results.json'), readFileSync(join(halves[0]!, 'results.json')));
      writeFileSync(join(corrupt, 'cached.fetch_md.hlog'), h.join('\n'));
      expect(merge([corrupt])).toMatch(/corrupt\/cached\.fetch_md\.hlog is corrupt/);
      writeFileSync(join(corrupt, 'cached.fetch_md.hlog'), 'hello');
      expect(merge([corrupt])).toMatch(/is corrupt: line 1: expected start,length,max,histogram/);
    });
  });
});

describe('loadRun', () => {
  it('reads what bench wrote: one parsed .hlog per histogram, totals equal to results.json counts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdcache-merge-load-'));
    try {
      const bench = loadBenchScenario('baseline');
      const o = await runBench({ bench, durationMs: 20_000, windowMs: 2000, seed: 1, run: RUN });
      for (const [f, t] of Object.entries(o.hlogs)) writeFileSync(join(dir, f), t);
      writeFileSync(join(dir, 'results.json'), JSON.stringify(o.results));
      const r: LoadedRun = loadRun(dir);
      expect(Object.keys(r.hlogs).sort()).toEqual(Object.keys(o.results.histograms).sort());
      expect(r.hlogs['cached.fetch_md']!.totalCount).toBe(o.results.paths.cached.fetch_md_ms.count);
      expect(r.hlogs['cached.fetch_md']!.windows.length).toBeGreaterThan(5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
