/**
 * The parent of a fleet of real worker processes (`bench --source binance --processes N`) merges what the
 * workers wrote in `<out>/proc-<i>/` with `mergeRuns` (src/sim/merge.ts: histograms added exactly from the
 * `.hlog` files, counters summed, windows aligned by their start — the workers start their clocks together)
 * and adds what a plain merge does not carry: the `fleet` block (one row per worker, src/sim/fleet-processes.ts),
 * and the shared tier's counts (summed; its round trip the worst worker's). The scheduler lateness and a shadow
 * run's divergence are merged exactly by mergeRuns (from their `.hlog` files).
 */
import type { Results, SharedTierResult } from '../results/types.js';
import type { BenchOutput } from './bench.js';
import { fleetFromProcesses, type FleetProcessesOptions } from './fleet-processes.js';
import { mergeRuns, type LoadedRun } from './merge.js';

export interface MergeProcessesOptions extends FleetProcessesOptions {
  run: { id: string; command: string; version: string; host: string };
}

function sumShared(all: readonly SharedTierResult[]): SharedTierResult {
  const out: SharedTierResult = { l2_hits: 0, l2_misses: 0, lease_wins: 0, lease_waits: 0, lease_timeouts: 0, writes_refused: 0, errors: 0, fallbacks: 0, resyncs: 0, rtt_ms: { p50: 0, p99: 0, max: 0, count: 0 } };
  for (const s of all) {
    for (const k of ['l2_hits', 'l2_misses', 'lease_wins', 'lease_waits', 'lease_timeouts', 'writes_refused', 'errors', 'fallbacks', 'resyncs'] as const) out[k] += s[k];
    out.rtt_ms = { p50: Math.max(out.rtt_ms.p50, s.rtt_ms.p50), p99: Math.max(out.rtt_ms.p99, s.rtt_ms.p99), max: Math.max(out.rtt_ms.max, s.rtt_ms.max), count: out.rtt_ms.count + s.rtt_ms.count };
  }
  return out;
}

/** Merges the workers' runs (in worker order); gates are left to the caller. */
export function mergeProcessRuns(workers: readonly LoadedRun[], o: MergeProcessesOptions): BenchOutput {
  if (workers.length === 0) throw new Error('mergeProcessRuns: no worker runs');
  const { results, hlogs } = mergeRuns(workers, { run: o.run, gates: null });
  const each: Results[] = workers.map((w) => w.results);
  const shared = each.map((r) => r.paths.cached.cache?.shared).filter((s): s is SharedTierResult => s !== undefined);
  if (shared.length > 0 && results.paths.cached.cache) results.paths.cached.cache.shared = sumShared(shared);
  results.fleet = fleetFromProcesses(each, o);
  return { results, hlogs };
}
