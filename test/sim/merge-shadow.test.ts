/**
 * Merging shadow runs and real-clock runs (src/sim/merge-shadow.ts, the lateness in src/sim/merge.ts): the real
 * simulator, run folders in a temp dir, nothing mocked. Exactness as for bench runs: symbols are independent,
 * so shadows over disjoint symbol sets, merged, must equal the shadow over all of them — the shadow block
 * (counts, ratios, percentiles, the worst list) and every `.hlog` byte for byte.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveRunDir } from '../helpers/run-dir.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { UsageError } from '../../src/core/errors.js';
import { parseHlog } from '../../src/metrics/hlog.js';
import { WindowedHistogram } from '../../src/metrics/windowed.js';
import { parseProdConfig } from '../../src/ops/prod-config.js';
import { runShadow } from '../../src/ops/shadow.js';
import { LATENESS_HISTOGRAM } from '../../src/pipeline/scheduler.js';
import type { Results } from '../../src/results/types.js';
import { loadBenchScenario } from '../../src/sim/bench-scenario.js';
import { runBench, type BenchOutput } from '../../src/sim/bench.js';
import { SHADOW_HISTOGRAMS } from '../../src/sim/divergence.js';
import { loadRun, mergeRuns } from '../../src/sim/merge.js';
import { mergeProcessRuns } from '../../src/sim/merge-processes.js';
import { withSymbolCount } from '../../src/scenario/scenario.js';

const RUN = { id: 'shadow-merge-test', command: 'mdcache shadow (test)', version: '0.0.0-test', host: 'test-host' };
const MERGE = { id: 'merged', command: 'mdcache merge (test)', version: '0.0.0-test', host: 'test-host' };
const DURATION = 60_000;

let root: string;
let n = 0;
const save = (o: BenchOutput): string => saveRunDir(join(root, `run${n++}`), o);

/** flaky-ws (two symbols, a misbehaving feed: many mismatches) restricted to `symbols`, as a scenario file. */
function scenarioFile(symbols: string[] | undefined): string {
  const sc = parse(readFileSync('scenarios/flaky-ws.yaml', 'utf8')) as { symbols: { symbol: string }[] };
  if (symbols) sc.symbols = sc.symbols.filter((s) => symbols.includes(s.symbol));
  const f = join(root, `flaky-${symbols?.join('-') ?? 'all'}.yaml`);
  writeFileSync(f, stringify(sc));
  return f;
}

function shadow(symbols: string[] | undefined, worst = 3): Promise<BenchOutput> {
  const config = parseProdConfig({ source: { type: 'synthetic', scenario: scenarioFile(symbols), seed: 11 }, shadow: { duration: '60s', window: '6s', worst_examples: worst, compare_depth: 10 } });
  return runShadow({ config, run: RUN });
}

const figures = (r: Results): unknown => ({ paths: r.paths, windows: r.windows, spectra: r.spectra, histograms: r.histograms, shadow: r.shadow, duration_ms: r.duration_ms });

const refusal = (f: () => unknown): string => {
  try {
    f();
    return 'merged';
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).not.toContain('\n');
    return (err as Error).message;
  }
};

describe('merging shadow runs', () => {
  let whole: BenchOutput;
  let parts: string[];
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'mdcache-merge-shadow-'));
    whole = await shadow(undefined);
    parts = [save(await shadow(['BTCUSDT'])), save(await shadow(['SOLUSDT']))];
  }, 120_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('shadows over disjoint symbols merge into exactly the shadow over all of them (divergence, worst list, .hlog bytes)', () => {
    const s = whole.results.shadow!;
    // Enough divergence that the worst list is cut (3 kept) and both symbols' runs compete for it.
    expect(s.compared).toBeGreaterThan(500);
    expect(s.tob_mismatched).toBeGreaterThan(3);
    expect(s.worst).toHaveLength(3);
    for (const h of Object.values(SHADOW_HISTOGRAMS)) expect(whole.results.histograms[h]).toBe(`${h}.hlog`);
    const m = mergeRuns(
      parts.map((d) => loadRun(d)),
      { run: MERGE, gates: null },
    );
    expect(figures(m.results)).toEqual(figures(whole.results));
    expect(m.hlogs).toEqual(whole.hlogs);
    expect(m.notices).toEqual([]);
    // Each part's counts add up (not just the whole's): the merge sums, it does not copy.
    const each = parts.map((d) => loadRun(d).results.shadow!);
    expect(m.results.shadow!.compared).toBe(each[0]!.compared + each[1]!.compared);
    expect(each.every((x) => x.compared > 0)).toBe(true);
  });

  it('a shadow run merged with itself (forced) doubles the counts and keeps the percentiles and ratios', () => {
    const r = loadRun(parts[0]!);
    const m = mergeRuns([r, { ...r, dir: r.dir + '/.' }], { run: MERGE, force: true, gates: null });
    const a = r.results.shadow!;
    const b = m.results.shadow!;
    expect(b.compared).toBe(2 * a.compared);
    expect(b.tob_mismatched).toBe(2 * a.tob_mismatched!);
    expect(b.tob_mismatch_ratio).toBe(a.tob_mismatch_ratio);
    expect({ ...b.candidate_staleness_ms, count: 0 }).toEqual({ ...a.candidate_staleness_ms, count: 0 });
    // The worst list keeps its limit; each example appears twice, side by side (same order key).
    expect(b.worst).toHaveLength(3);
    expect(b.worst[0]).toEqual(a.worst[0]);
  });

  it('refuses a shadow run with a bench run, different compared depths, and (unless forced) shadows without histograms', async () => {
    const bench = loadBenchScenario('flaky-ws');
    const plain = save(await runBench({ bench: { ...bench, scenario: withSymbolCount(bench.scenario, 1) }, durationMs: DURATION, windowMs: 6000, seed: 12, run: RUN, gates: null }));
    expect(refusal(() => mergeRuns([loadRun(parts[0]!), loadRun(plain)], { run: MERGE, force: true }))).toMatch(/cannot merge: .*run0 is a shadow run and .* is not/);

    const deeper = loadRun(parts[1]!);
    deeper.results.shadow = { ...deeper.results.shadow!, compared_depth: 5 };
    expect(refusal(() => mergeRuns([loadRun(parts[0]!), deeper], { run: MERGE, force: true }))).toMatch(/compared different depths \(shadow\.compare_depth 10 vs 5\)/);

    // An older shadow run: its results.json lists no shadow histograms and has no counts.
    const old = join(root, 'old');
    mkdirSync(old);
    const res = JSON.parse(readFileSync(join(parts[1]!, 'results.json'), 'utf8')) as Results;
    for (const h of Object.values(SHADOW_HISTOGRAMS)) delete res.histograms[h];
    delete res.shadow!.tob_mismatched;
    delete res.shadow!.depth_mismatched;
    for (const f of Object.values(res.histograms)) writeFileSync(join(old, f), readFileSync(join(parts[1]!, f)));
    writeFileSync(join(old, 'results.json'), JSON.stringify(res));
    expect(refusal(() => mergeRuns([loadRun(parts[0]!), loadRun(old)], { run: MERGE }))).toMatch(/refusing to merge: .*old has a shadow section without its divergence histograms .*; use --force/);
    const forced = mergeRuns([loadRun(parts[0]!), loadRun(old)], { run: MERGE, force: true, gates: null });
    expect(forced.results.shadow).toBeUndefined();
    expect(Object.keys(forced.hlogs).some((f) => f.startsWith('shadow.'))).toBe(false);
    expect(forced.results.run.merged?.forced?.join('\n')).toMatch(/shadow section is left out/);
  });
});

describe('merging real-clock runs: the scheduler lateness', () => {
  it('is written as scheduler.lateness.hlog and merged exactly (counts added, percentiles from the summed histogram)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdcache-merge-late-'));
    root = dir;
    try {
      const bench = loadBenchScenario('baseline');
      const one = (seed: number): Promise<BenchOutput> => runBench({ bench: { ...bench, scenario: withSymbolCount(bench.scenario, 2) }, durationMs: 1500, windowMs: 500, seed, realtime: true, run: RUN, gates: null });
      const runs = [save(await one(1)), save(await one(2))].map((d) => loadRun(d));
      const sum = new WindowedHistogram(LATENESS_HISTOGRAM, 500, 1000);
      for (const r of runs) {
        expect(r.results.histograms[LATENESS_HISTOGRAM]).toBe(`${LATENESS_HISTOGRAM}.hlog`);
        expect(r.hlogs[LATENESS_HISTOGRAM]!.totalCount).toBe(r.results.scheduler_lateness_ms!.count);
        expect(r.results.scheduler_lateness_ms!.count).toBeGreaterThan(5);
        sum.absorb(r.hlogs[LATENESS_HISTOGRAM]!.windows);
      }
      const m = mergeRuns(runs, { run: MERGE, gates: null });
      expect(m.notices).toEqual([]);
      expect(m.results.scheduler_lateness_ms).toEqual(sum.summary());
      expect(m.results.scheduler_lateness_ms!.count).toBe(runs[0]!.results.scheduler_lateness_ms!.count + runs[1]!.results.scheduler_lateness_ms!.count);
      expect(parseHlog(m.hlogs[`${LATENESS_HISTOGRAM}.hlog`]!, 500, 1000).totalCount).toBe(m.results.scheduler_lateness_ms!.count);
      // The fleet parent's merge (real worker processes) carries the same exact lateness.
      const fleet = mergeProcessRuns(runs, { run: MERGE, shared: null });
      expect(fleet.results.scheduler_lateness_ms).toEqual(sum.summary());

      // An older real-clock run (lateness as percentiles only): refused unless forced, then left out.
      const old = { ...runs[1]!, hlogs: { ...runs[1]!.hlogs } };
      delete old.hlogs[LATENESS_HISTOGRAM];
      expect(refusal(() => mergeRuns([runs[0]!, old], { run: MERGE, gates: null }))).toMatch(/reports scheduler_lateness_ms without its scheduler\.lateness\.hlog .*; use --force/);
      const forced = mergeRuns([runs[0]!, old], { run: MERGE, gates: null, force: true });
      expect(forced.results.scheduler_lateness_ms).toBeUndefined();
      expect(forced.results.run.merged?.forced?.join('\n')).toMatch(/scheduler_lateness_ms is left out/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
