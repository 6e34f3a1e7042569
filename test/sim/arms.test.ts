/** Arms: many cached paths on one seeded workload (virtual time, the real simulator, nothing mocked). */
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { Reader } from '../../src/config/reader.js';
import { loadBenchScenario, parseBenchScenario, type BenchScenario } from '../../src/sim/bench-scenario.js';
import { runBench, type BenchOutput } from '../../src/sim/bench.js';
import { armsFromPolicies, mergeRaw, readArms } from '../../src/sim/arms.js';
import { evaluateGates } from '../../src/gates/evaluate.js';
import { DEFAULT_GATES, ERROR_DEFAULT_GATES, expandGatesForArms, readGates } from '../../src/gates/spec.js';
import { pathWindows } from '../../src/results/types.js';
import { renderMarkdownReport } from '../../src/report/markdown.js';
import { renderTerminalSummary } from '../../src/report/terminal.js';

const RUN = { id: 'arms-test', command: 'mdcache bench (test)', version: '0.0.0-test', host: 'test-host' };
const MIN = 60_000;

describe('arms: reading and validation', () => {
  it('merges each arm over the scenario md_cache (nested keys too) and validates the merged block', () => {
    expect(mergeRaw({ ttl_ms: 100, retry: { base_ms: 10, max_ms: 200 } }, { retry: { max_ms: 50 } })).toEqual({ ttl_ms: 100, retry: { base_ms: 10, max_ms: 50 } });
    const r = new Reader();
    const arms = readArms(r, [{ name: 'a' }, { name: 'b', md_cache: { ttl_ms: 400, max_stale_ms: 2000 } }], { ttl_ms: 50 });
    expect(r.problems).toEqual([]);
    expect(arms!.map((a) => [a.name, a.mdCache.ttl_ms, a.mdCache.max_stale_ms, a.mdCache.enabled])).toEqual([
      ['a', 50, 1000, true],
      ['b', 400, 2000, true],
    ]);
  });

  it('reports every problem with its path: bad/reserved/duplicate names, unknown keys, out-of-range and cross-field values, an empty list', () => {
    const r = new Reader();
    readArms(r, [{ name: 'cached' }, { name: 'x' }, { name: 'x' }, { name: '9bad' }, { name: 'ok', md_cache: { ttl_ms: 1 } }, { name: 'ok2', md_cache: { ttl_ms: 3000 } }, { name: 'ok3', colour: 1 }], {});
    const lines = r.problems.map((p) => `${p.path}: ${p.message}`);
    expect(lines).toEqual([
      expect.stringMatching(/^arms\[0\]\.name: 'cached' is reserved/),
      expect.stringMatching(/^arms\[2\]\.name: 'x' is used by another arm/),
      expect.stringMatching(/^arms\[3\]\.name: '9bad' is not an arm name/),
      expect.stringMatching(/^arms\[4\]\.md_cache\.ttl_ms: /),
      expect.stringMatching(/^arms\[5\]\.md_cache\.max_stale_ms: 1000 \(default\) must be >= ttl_ms \(3000\)/),
      expect.stringMatching(/^arms\[6\]\.colour: unknown key/),
    ]);
    const e = new Reader();
    readArms(e, [], {});
    expect(e.problems[0]!.message).toMatch(/^empty/);
    expect(() => armsFromPolicies([], {})).toThrow(ConfigError);
  });

  it('a scenario arms: block is read with the scenario, and its gates may name arms', () => {
    const base = loadBenchScenario('baseline');
    const doc = {
      ...base.scenario,
      duration: '1m',
      symbols: [{ symbol: 'BTCUSDT', tick_size: '0.01', price: '65000.00', qty_decimals: 5 }],
      arms: [{ name: 'short', md_cache: { ttl_ms: 25 } }, { name: 'long', md_cache: { ttl_ms: 400, max_stale_ms: 2000 } }],
      gates: ['long.cache.hit_ratio >= 0.5', 'uncached.ticks > 0'],
    };
    const { source: _s, duration_ms: _d, ...plain } = doc as Record<string, unknown>;
    const b = parseBenchScenario({ ...plain, market: undefined, rest: undefined, pipeline: undefined, md_cache: undefined });
    expect(b.arms!.map((a) => a.name)).toEqual(['short', 'long']);
    expect(b.gates!.map((g) => g.metric)).toEqual(['long.cache.hit_ratio', 'uncached.ticks']);
    // without the arm, the same gate is an unknown metric
    const r = new Reader();
    readGates(r, ['long.cache.hit_ratio >= 0.5'], 'gates');
    expect(r.problems[0]!.message).toMatch(/'long.cache.hit_ratio' is not a known metric/);
  });

  it('default gates apply to each arm; gates on uncached or on one arm stay single', () => {
    const g = expandGatesForArms([...ERROR_DEFAULT_GATES, { kind: 'absolute', metric: 'b.cache.hit_ratio', op: '>=', value: 0.5 }, { kind: 'absolute', metric: 'uncached.ticks', op: '>', value: 0 }], ['a', 'b']);
    expect(g.map((x) => `${x.name ?? ''}|${x.metric}|${x.arm ?? ''}`)).toEqual([
      'a: hit_ratio >= 0.7|a.cache.hit_ratio|a',
      'b: hit_ratio >= 0.7|b.cache.hit_ratio|b',
      'a: fetch_md p95 improvement >= 20 ms|fetch_md_ms.p95|a',
      'b: fetch_md p95 improvement >= 20 ms|fetch_md_ms.p95|b',
      'a: tick_total p95 <= 130 ms|a.tick_total_ms.p95|a',
      'b: tick_total p95 <= 130 ms|b.tick_total_ms.p95|b',
      'a: deadline_miss < 2 %|a.deadline_miss_ratio|a',
      'b: deadline_miss < 2 %|b.deadline_miss_ratio|b',
      '|b.cache.hit_ratio|',
      '|uncached.ticks|',
    ]);
    expect(expandGatesForArms(DEFAULT_GATES, ['cached'])).toEqual([...DEFAULT_GATES]);
  });
});

describe('arms: one workload, N cached paths (baseline, 3 min, virtual time)', () => {
  let bench: BenchScenario;
  let plain: BenchOutput;
  let multi: BenchOutput;
  let again: BenchOutput;
  const arms = (b: BenchScenario) => {
    const r = new Reader();
    const a = readArms(r, [{ name: 'ttl100' }, { name: 'ttl25', md_cache: { ttl_ms: 25 } }, { name: 'ttl400', md_cache: { ttl_ms: 400, max_stale_ms: 2000 } }], b.mdCacheRaw)!;
    expect(r.problems).toEqual([]);
    return a;
  };

  beforeAll(async () => {
    bench = loadBenchScenario('baseline');
    plain = await runBench({ bench, durationMs: 3 * MIN, seed: 5, run: RUN });
    multi = await runBench({ bench, durationMs: 3 * MIN, seed: 5, run: RUN, arms: arms(bench) });
    again = await runBench({ bench, durationMs: 3 * MIN, seed: 5, run: RUN, arms: arms(bench) });
  }, 120_000);

  it('paths.cached is the first arm and equals the plain run; uncached is unchanged; every arm appears by name', () => {
    const r = multi.results;
    expect(Object.keys(r.paths)).toEqual(['uncached', 'cached', 'ttl100', 'ttl25', 'ttl400']);
    expect(r.paths.cached).toEqual(plain.results.paths.cached);
    expect(r.paths.uncached).toEqual(plain.results.paths.uncached);
    expect(r.paths.ttl100).toEqual(r.paths.cached);
    expect(pathWindows(r, 'ttl25')).toHaveLength(r.windows.cached.length);
    expect(r.spectra.fetch_md_ms!.ttl400!.length).toBeGreaterThan(5);
    expect(r.arms!.map((a) => [a.name, a.md_cache])).toEqual([
      ['ttl100', {}],
      ['ttl25', { ttl_ms: 25 }],
      ['ttl400', { ttl_ms: 400, max_stale_ms: 2000 }],
    ]);
    expect((r.scenario.arms as unknown[]).length).toBe(3);
    // the .hlog files of the further arms are named after them
    expect(Object.keys(multi.hlogs)).toEqual(expect.arrayContaining(['ttl25.fetch_md.hlog', 'ttl400.tob_error_ticks.hlog', 'ttl400.refresh_latency.hlog', 'cached.fetch_md.hlog']));
  });

  it('every arm saw the same ticks and the same stage draws; the configuration changes the cache behaviour', () => {
    const { uncached, ttl25, ttl400 } = multi.results.paths;
    for (const p of [ttl25!, ttl400!]) {
      expect(p.ticks).toBe(uncached.ticks);
      expect(p.stages).toEqual(uncached.stages);
    }
    // a longer TTL serves more fresh hits and refreshes less often
    expect(ttl400!.cache!.fresh_ratio).toBeGreaterThan(ttl25!.cache!.fresh_ratio);
    expect(ttl400!.cache!.refreshes).toBeLessThan(ttl25!.cache!.refreshes);
    expect(ttl400!.cache!.staleness_ms.p50).toBeGreaterThan(ttl25!.cache!.staleness_ms.p50);
  });

  it('is deterministic for a seed (identical results and .hlog texts)', () => {
    const strip = (x: BenchOutput) => JSON.stringify({ ...x.results, run: null });
    expect(strip(again)).toBe(strip(multi));
    expect(again.hlogs).toEqual(multi.hlogs);
  });

  it('default gates are evaluated per arm, each arm gets a verdict, and the overall verdict is the worst', () => {
    const r = multi.results;
    expect(r.gates!.length).toBe(DEFAULT_GATES.length * 3);
    expect(r.gates!.filter((g) => g.arm === 'ttl25').map((g) => g.name)).toEqual(DEFAULT_GATES.map((g) => `ttl25: ${g.name}`));
    expect(r.arms!.every((a) => a.verdict !== undefined)).toBe(true);
    // a gate that only ttl400 fails: its verdict fails, the others keep theirs, the run fails
    const ev = evaluateGates(r, [...DEFAULT_GATES, { kind: 'absolute', metric: 'ttl400.cache.fresh_ratio', op: '<', value: 0.05 }]);
    const v = Object.fromEntries(ev.arms!.map((a) => [a.name, a.verdict]));
    expect(v.ttl400).toBe('fail');
    expect(v.ttl25).toBe(r.arms!.find((a) => a.name === 'ttl25')!.verdict);
    expect(ev.verdict).toBe('fail');
  });

  it('the terminal summary and report.md show all arms side by side and say which pass', () => {
    const term = renderTerminalSummary(multi.results, { color: false });
    expect(term).toMatch(/arms \(same workload; cached = ttl100\)/);
    expect(term).toMatch(/│ metric\s+│ uncached │ ttl100 │\s+ttl25 │\s+ttl400 │/);
    expect(term).toMatch(/arms passing: |failing: |inconclusive: /);
    const md = renderMarkdownReport(multi.results);
    expect(md).toContain('## Arms: every cached path on the same workload');
    expect(md).toContain('| metric | uncached | ttl100 | ttl25 | ttl400 |');
    expect(md).toMatch(/> \*\*Arms:\*\* /);
    // a plain run has no arms section
    expect(renderMarkdownReport(plain.results)).not.toContain('## Arms');
  });
});
