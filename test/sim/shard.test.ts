/**
 * bench --jobs: symbols sharded across worker threads give results identical to one thread (real simulator,
 * virtual time, nothing mocked; the workers run the built dist/).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Reader } from '../../src/config/reader.js';
import { loadBenchScenario } from '../../src/sim/bench-scenario.js';
import { runBench, type BenchOutput } from '../../src/sim/bench.js';
import { readArms } from '../../src/sim/arms.js';
import { shardIndices } from '../../src/sim/shard.js';
import { ensureBuilt } from '../helpers/cli.js';

const RUN = { id: 'shard-test', command: 'mdcache bench (test)', version: '0.0.0-test', host: 'test-host' };
const strip = (o: BenchOutput): string => JSON.stringify({ ...o.results, run: null });

describe('shardIndices', () => {
  it('deals symbols round-robin into at most `shards` non-empty shards', () => {
    expect(shardIndices(5, 2)).toEqual([
      [0, 2, 4],
      [1, 3],
    ]);
    expect(shardIndices(2, 8)).toEqual([[0], [1]]);
    expect(shardIndices(1, 4)).toEqual([[0]]);
  });
});

describe('sharded bench (flaky-ws: REST errors, silences, seq gaps, out-of-order, jumps, crossed books, disconnects)', () => {
  const outs: Record<string, BenchOutput> = {};
  beforeAll(async () => {
    ensureBuilt();
    const bench = loadBenchScenario('flaky-ws');
    const r = new Reader();
    const arms = readArms(r, [{ name: 'a' }, { name: 'b', md_cache: { ttl_ms: 300 } }], bench.mdCacheRaw)!;
    for (const jobs of [undefined, 2, 3]) outs[`plain${jobs}`] = await runBench({ bench, durationMs: 120_000, seed: 9, symbols: 5, jobs, run: RUN });
    for (const jobs of [undefined, 2]) outs[`arms${jobs}`] = await runBench({ bench, durationMs: 120_000, seed: 9, symbols: 5, jobs, arms, run: RUN });
  }, 300_000);

  it('results and .hlog files are identical for any --jobs', () => {
    expect(outs.plain2!.results.run.shards).toBe(2);
    expect(outs.plain3!.results.run.shards).toBe(3);
    expect(outs.plainundefined!.results.run.shards).toBeUndefined();
    expect(outs.plain2!.results.run.worker_peak_heap_mb).toBeGreaterThan(0);
    expect(strip(outs.plain2!)).toBe(strip(outs.plainundefined!));
    expect(strip(outs.plain3!)).toBe(strip(outs.plainundefined!));
    expect(outs.plain3!.hlogs).toEqual(outs.plainundefined!.hlogs);
    // the run exercised the faults
    const inv = outs.plainundefined!.results.paths.cached.cache!.invalidations;
    for (const k of ['ws_gap', 'seq_gap', 'reconnect']) expect(inv[k] ?? 0, k).toBeGreaterThan(0);
    expect(outs.plainundefined!.results.paths.uncached.fetch_errors + outs.plainundefined!.results.paths.cached.cache!.refresh_failures).toBeGreaterThanOrEqual(0);
  });

  it('with arms too', () => {
    expect(outs.arms2!.results.run.shards).toBe(2);
    expect(Object.keys(outs.arms2!.results.paths)).toEqual(['uncached', 'cached', 'a', 'b']);
    expect(strip(outs.arms2!)).toBe(strip(outs.armsundefined!));
    expect(outs.arms2!.hlogs).toEqual(outs.armsundefined!.hlogs);
  });

  it('an LRU bound below the symbol count couples symbols: one thread', async () => {
    const bench = loadBenchScenario('flaky-ws');
    const o = await runBench({ bench: { ...bench, mdCache: { ...bench.mdCache, max_symbols: 2 } }, durationMs: 30_000, seed: 9, symbols: 5, jobs: 2, run: RUN });
    expect(o.results.run.shards).toBeUndefined();
    expect(o.results.paths.cached.cache!.evictions).toBeGreaterThan(0);
  }, 120_000);
});
