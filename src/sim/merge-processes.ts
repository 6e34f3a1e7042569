/**
 * The parent of a fleet of real worker processes (`bench --source binance --processes N`) merges what the
 * workers wrote in `<out>/proc-<i>/` with `mergeRuns` (src/sim/merge.ts: histograms added exactly from the
 * `.hlog` files, counters summed, windows aligned by their start — the workers start their clocks together)
 * and adds what a plain merge does not carry: the `fleet` block (one row per worker, src/sim/fleet-processes.ts).
 * The shared tier's counts, the scheduler lateness and a shadow run's divergence are merged by mergeRuns.
 */
import type { Results } from '../results/types.js';
import type { BenchOutput } from './bench.js';
import { fleetFromProcesses, type FleetProcessesOptions } from './fleet-processes.js';
import { mergeRuns, type LoadedRun } from './merge.js';

export interface MergeProcessesOptions extends FleetProcessesOptions {
  run: { id: string; command: string; version: string; host: string };
}

/** Merges the workers' runs (in worker order); gates are left to the caller. */
export function mergeProcessRuns(workers: readonly LoadedRun[], o: MergeProcessesOptions): BenchOutput {
  if (workers.length === 0) throw new Error('mergeProcessRuns: no worker runs');
  const { results, hlogs } = mergeRuns(workers, { run: o.run, gates: null });
  const each: Results[] = workers.map((w) => w.results);
  results.fleet = fleetFromProcesses(each, o);
  return { results, hlogs };
}
