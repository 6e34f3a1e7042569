/**
 * Merges the runs of a fleet's worker processes (`bench --source binance --processes N`) into one results
 * document: each worker hands over its recorders (HDR histograms per window, counters, REST meters) in the
 * serialized form the `--jobs` shards use, and they are added exactly (mergeShards) — the workers start
 * their clocks together, so window i of every worker covers the same seconds. Counters are sums; the fleet
 * block (src/sim/fleet-processes.ts) has one row per worker.
 */
import type { Results, RunInfo } from '../results/types.js';
import { renderHlog } from '../metrics/hlog.js';
import type { BenchScenario } from './bench-scenario.js';
import type { BenchOutput } from './bench.js';
import { fleetFromProcesses, type FleetProcessesOptions } from './fleet-processes.js';
import { buildResults, recordedHistograms } from './results.js';
import { mergeShards, type ShardOutput } from './shard.js';

export interface WorkerRun {
  results: Results;
  recordings: ShardOutput;
}

export interface MergeProcessesOptions extends FleetProcessesOptions {
  bench: BenchScenario;
  run: RunInfo;
  /** Epoch seconds of the fleet's start (the .hlog StartTime). */
  hlogStartSec: number;
}

export function mergeProcessRuns(workers: readonly WorkerRun[], o: MergeProcessesOptions): BenchOutput {
  if (workers.length === 0) throw new Error('mergeProcessRuns: no worker runs');
  const first = workers[0]!.results;
  const windowMs = first.windows.window_ms;
  const sim = mergeShards(
    workers.map((w) => w.recordings),
    { bench: o.bench, windowMs },
  );
  const interrupted = workers.some((w) => w.results.run.interrupted);
  const results = buildResults({
    run: { ...o.run, ...(interrupted ? { interrupted: true } : {}) },
    scenario: first.scenario,
    seed: first.seed,
    durationMs: Math.round(sim.ranMs),
    windowMs,
    stageNames: o.bench.pipeline.stages.map((s) => s.name),
    sim,
  });
  // Real-clock figures the recorders do not carry: ticks dropped at the end (summed), and the shared tier's
  // round trip (the worst worker's percentiles; the counts summed).
  for (const path of ['uncached', 'cached'] as const) {
    const dropped = workers.map((w) => w.results.paths[path].dropped_at_end);
    if (dropped.some((d) => d !== undefined)) results.paths[path].dropped_at_end = dropped.reduce<number>((n, d) => n + (d ?? 0), 0);
  }
  const rtts = workers.map((w) => w.results.paths.cached.cache?.shared?.rtt_ms).filter((r) => r !== undefined);
  const sh = results.paths.cached.cache?.shared;
  if (sh && rtts.length > 0) sh.rtt_ms = { p50: Math.max(...rtts.map((r) => r.p50)), p99: Math.max(...rtts.map((r) => r.p99)), max: Math.max(...rtts.map((r) => r.max)), count: rtts.reduce((n, r) => n + r.count, 0) };
  const lateness = workers.map((w) => w.results.scheduler_lateness_ms).filter((l) => l !== undefined);
  if (lateness.length > 0) results.scheduler_lateness_ms = lateness.reduce((a, b) => (b.p99 > a.p99 ? b : a));
  results.fleet = fleetFromProcesses(
    workers.map((w) => w.results),
    o,
  );
  const hlogs: Record<string, string> = {};
  for (const h of recordedHistograms(sim)) hlogs[`${h.name}.hlog`] = renderHlog(h, o.hlogStartSec, `mdcache ${h.name}: ${workers.length} worker processes added; values in ${h.scale === 1000 ? 'microseconds' : 'exchange ticks'}, one interval per ${windowMs / 1000} s window`);
  return { results, hlogs };
}
