/** End-to-end: `mdcache bench` through the built CLI (node bin/mdcache.js) as a child process. */
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as hdr from 'hdr-histogram-js';
import { parseXml } from '../report/xml.js';
import { ensureBuilt, start, waitForOutput, type Ran } from '../helpers/cli.js';

let dir: string;

/** Runs the CLI in the test's directory. */
const run = (args: string[], cwd = dir): Promise<Ran> => start(args, cwd).exited;

const PERCENTILE_KEYS = ['p50', 'p90', 'p95', 'p99', 'p999', 'max', 'mean', 'count'];

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'mdcache-bench-e2e-'));
}, 60_000);

describe('mdcache bench (child process)', () => {
  it('writes results.json with every documented key, the .hlog files, report.md and the charts; exit code follows the verdict', async () => {
    const [r, j] = await Promise.all([
      run(['bench', '--duration', '2m', '--seed', '1', '--window', '1m', '--out', 'b2m', '--no-progress']),
      run(['bench', '--duration', '5m', '--seed', '1', '--out', 'b5m', '--no-progress', '--json']),
    ]);
    const out = join(dir, 'b2m');
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));

    // 2 one-minute windows (--window 1m) are too few to judge: inconclusive ⇒ exit 1, failing gates named
    expect(res.verdict).toBe('inconclusive');
    expect(r.code).toBe(1);
    expect(res.gates.filter((g: { severity?: string }) => g.severity !== 'warn').every((g: { note?: string }) => /only 2 window\(s\)/.test(g.note ?? ''))).toBe(true);
    expect(r.err).toContain('mdcache: verdict inconclusive: hit_ratio >= 0.7 (inconclusive)');
    expect(r.out).toContain('mdcache bench: baseline (seed 1)');
    expect(r.out).toContain('verdict: INCONCLUSIVE');
    expect(r.out).not.toMatch(/\u001b\[/);

    expect(res.schema).toBe('mdcache.results/v1');
    for (const k of ['id', 'started_at', 'wall_ms', 'host', 'version']) expect(res.run, `run.${k}`).toHaveProperty(k);
    expect(res.run.id).toMatch(/-baseline-s1$/);
    expect(Number.isNaN(Date.parse(res.run.started_at))).toBe(false);
    expect(res.run.command).toBe('mdcache bench --scenario baseline --duration 2m --seed 1 --window 1m');
    expect(res.run.clock).toBe('virtual');
    expect(res.scenario.name).toBe('baseline');
    expect(res.seed).toBe(1);
    expect(res.duration_ms).toBe(120_000);
    for (const p of ['uncached', 'cached']) {
      const path = res.paths[p];
      for (const m of ['fetch_md_ms', 'tick_total_ms']) {
        expect(Object.keys(path[m]).sort(), `${p}.${m}`).toEqual([...PERCENTILE_KEYS].sort());
        expect(path[m].count).toBeGreaterThan(0);
        expect(path[m].p50).toBeLessThanOrEqual(path[m].p95);
        expect(path[m].p999).toBeLessThanOrEqual(path[m].max);
      }
      expect(typeof path.deadline_miss_ratio).toBe('number');
      expect(path.ticks).toBeGreaterThan(500);
      expect(path.dropped).toBe(0);
    }
    expect(res.paths.cached.ticks).toBe(res.paths.uncached.ticks);
    const cache = res.paths.cached.cache;
    for (const k of ['hit_ratio', 'fresh_ratio', 'stale_ratio', 'miss_ratio', 'refreshes', 'refresh_failures', 'invalidations', 'staleness_ms', 'tob_error_ticks']) {
      expect(cache, `cached.cache.${k}`).toHaveProperty(k);
    }
    expect(cache.hit_ratio + cache.miss_ratio).toBeCloseTo(1, 5);
    expect(cache.fresh_ratio + cache.stale_ratio).toBeCloseTo(cache.hit_ratio, 5);
    for (const k of ['staleness_ms', 'tob_error_ticks']) expect(Object.keys(cache[k]).sort()).toEqual([...PERCENTILE_KEYS].sort());
    expect(res.paths.uncached.cache).toBeUndefined();

    // the .hlog files the results name exist and decode to the recorded counts
    const files = readdirSync(out);
    const hlogs = Object.values(res.histograms as Record<string, string>);
    expect(hlogs).toContain('uncached.fetch_md.hlog');
    expect(hlogs).toContain('cached.tick_total.hlog');
    for (const f of hlogs) expect(files, f).toContain(f);
    const reader = new hdr.HistogramLogReader(readFileSync(join(out, 'cached.tick_total.hlog'), 'utf8'));
    let n = 0;
    for (let h = reader.nextIntervalHistogram(); h; h = reader.nextIntervalHistogram()) n += h.totalCount;
    expect(n).toBe(res.paths.cached.tick_total_ms.count);

    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/^# mdcache bench: baseline/);
    const svgs = files.filter((f) => f.endsWith('.svg'));
    expect(svgs.sort()).toEqual(['fetch_md-p95-windows.svg', 'fetch_md-spectrum.svg', 'hit-ratio-windows.svg', 'rest-weight-windows.svg', 'tick_total-spectrum.svg']);
    for (const f of svgs) {
      expect(md).toContain(`./${f}`);
      expect(parseXml(readFileSync(join(out, f), 'utf8')).name).toBe('svg');
    }

    // --json: stdout is exactly the results document (the table goes to stderr); 5 windows pass ⇒ exit 0
    const doc = JSON.parse(j.out);
    expect(doc.schema).toBe('mdcache.results/v1');
    expect(doc.verdict).toBe('pass');
    expect(j.code).toBe(0);
    expect(j.err).toContain('verdict: PASS');
    expect(doc).toEqual(JSON.parse(readFileSync(join(dir, 'b5m', 'results.json'), 'utf8')));
    expect(doc.duration_ms).toBe(300_000);
  }, 60_000);

  it('flaky-ws fails its gates (exit 1, hit_ratio named); --no-gate exits 0 on the same run', async () => {
    const [f, ng] = await Promise.all([
      run(['bench', '--scenario', 'flaky-ws', '--duration', '5m', '--out', 'flaky', '--no-progress']),
      run(['bench', '--scenario', 'flaky-ws', '--duration', '5m', '--out', 'flaky-ng', '--no-progress', '--no-gate']),
    ]);
    expect(f.code).toBe(1);
    expect(f.err).toMatch(/^mdcache: verdict fail: .*hit_ratio >= 0\.7 \(fail\)/m);
    const res = JSON.parse(readFileSync(join(dir, 'flaky', 'results.json'), 'utf8'));
    expect(res.verdict).toBe('fail');
    expect(res.gates.find((g: { name: string }) => g.name === 'hit_ratio >= 0.7').status).toBe('fail');
    expect(res.paths.cached.cache.hit_ratio).toBeLessThan(0.7);

    expect(ng.code).toBe(0);
    expect(ng.err).toBe('');
    const resNg = JSON.parse(readFileSync(join(dir, 'flaky-ng', 'results.json'), 'utf8'));
    expect(resNg.gates).toBeUndefined();
    expect(resNg.verdict).toBeUndefined();
    // same seeded run, only the evaluation differs
    expect(resNg.paths).toEqual(res.paths);
  }, 60_000);

  it('bad input exits 2 naming the problem, and writes nothing', async () => {
    writeFileSync(
      join(dir, 'bad-scenario.yaml'),
      [
        'name: bad',
        'seed: 1',
        'symbols:',
        '  - { symbol: BTCUSDT, tick_size: "0.01", price: "65000.00" }',
        'pipeline:',
        '  ticks: { arrival: poison, rate_hz: 0 }',
        '  stages:',
        '    - { name: compute, latency: { model: constant, ms: 5 } }',
        '    - { name: compute, latency: { model: constant, ms: 5 } }',
        '    - { name: risk }',
        '  on_busy: skip',
        'md_cache: { ttl_ms: 1 }',
        '',
      ].join('\n'),
    );
    const [dur, scen, file, seed, source] = await Promise.all([
      run(['bench', '--duration', '30x', '--out', 'x1', '--no-progress']),
      run(['bench', '--scenario', 'nope', '--out', 'x2', '--no-progress']),
      run(['bench', '--scenario', 'bad-scenario.yaml', '--out', 'x3', '--no-progress']),
      run(['bench', '--seed', '-1', '--out', 'x4', '--no-progress']),
      run(['bench', '--source', 'bogus', '--duration', '1m', '--out', 'x5', '--no-progress']),
    ]);
    expect(dur.code).toBe(2);
    expect(dur.err).toContain("invalid duration '30x', use e.g. 500ms, 90s, 30m, 1h");
    expect(dur.err).toContain('--duration');

    expect(scen.code).toBe(2);
    expect(scen.err).toContain("unknown scenario 'nope'");
    for (const s of ['baseline', 'cold-cache', 'flaky-ws', 'many-symbols', 'volatile']) expect(scen.err).toContain(s);

    expect(file.code).toBe(2);
    expect(file.err).toContain('invalid bad-scenario.yaml:');
    for (const p of [
      "pipeline.ticks.arrival: 'poison' is not allowed (did you mean 'poisson'?)",
      'pipeline.ticks.rate_hz: 0 is out of range [0.001, 10000]',
      "pipeline.stages[1].name: 'compute' is used by an earlier stage",
      'pipeline.stages[2].latency: is required',
      "pipeline.on_busy: 'skip' is not allowed; use one of: queue, drop",
      'md_cache.ttl_ms: 1 is out of range [10, 5000]',
    ])
      expect(file.err).toContain(p);

    expect(seed.code).toBe(2);
    expect(seed.err).toContain("--seed: invalid value '-1'");

    expect(source.code).toBe(2);
    expect(source.err).toContain("--source: invalid value 'bogus'");

    for (const r of [dur, scen, file, seed, source]) expect(r.out).toBe('');
    for (const d of ['x1', 'x2', 'x3', 'x4', 'x5']) expect(existsSync(join(dir, d))).toBe(false);
  }, 60_000);
});

describe('mdcache bench: SIGINT', () => {
  it('stops cleanly, writes the results of what ran (marked interrupted) and does not pass', async () => {
    ensureBuilt();
    const d = mkdtempSync(join(tmpdir(), 'mdcache-bench-int-'));
    const out = join(d, 'out');
    const running = start(['bench', '--realtime', '--duration', '60s', '--out', out, '--no-progress'], d);
    // Wait until the run says it is under way (its signal handlers are installed), then interrupt it.
    await waitForOutput(running, /running baseline for 1m on the real clock/, { timeoutMs: 20_000 });
    running.child.kill('SIGINT');
    const r = await running.exited;
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/SIGINT: stopping/);
    expect(r.err).toMatch(/interrupted after/);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.run.interrupted).toBe(true);
    expect(results.duration_ms).toBeGreaterThanOrEqual(0); // the signal may land before the first tick
    expect(results.duration_ms).toBeLessThan(60_000);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/Interrupted/);
  });
});

describe('mdcache bench: an output directory that cannot be written', () => {
  it('fails at once with exit 2, naming the path and the reason', async () => {
    ensureBuilt();
    const d = mkdtempSync(join(tmpdir(), 'mdcache-bench-out-'));
    writeFileSync(join(d, 'a-file'), 'not a directory');
    const r = await start(['bench', '--duration', '1m', '--out', join(d, 'a-file', 'out'), '--no-progress'], d).exited;
    expect(r.code).toBe(2);
    expect(r.err).toContain(`mdcache: cannot write ${join(d, 'a-file', 'out')}: a parent is a file, not a directory`);
    expect(r.out).toBe(''); // failed before running
  });
});
