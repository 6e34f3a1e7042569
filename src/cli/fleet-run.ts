/**
 * The parent's side of a live fleet run: start the workers (fleet-procs.ts), read what each wrote in
 * `<out>/proc-<i>/` (results.json and .hlog files), merge them exactly (mergeRuns) into `<out>/results.json` + report,
 * evaluate the gates on the merged run and exit like a single run would.
 */
import { formatDuration } from '../core/duration.js';
import type { SharedConfig } from '../config/md-cache.js';
import { defaultGatesFor, evaluateGates } from '../gates/evaluate.js';
import type { GateSpec } from '../gates/types.js';
import type { Results } from '../results/types.js';
import type { BenchScenario } from '../sim/bench-scenario.js';
import { mergeProcessRuns } from '../sim/merge-processes.js';
import { loadRun, type LoadedRun } from '../sim/merge.js';
import { EXIT, ExitCode } from './exit.js';
import { runWorkerProcesses } from './fleet-procs.js';
import { exitOnVerdict, writeRunOutput, type RunOutputOptions } from './run-output.js';

export interface LiveFleetOptions {
  /** `mdcache bench` or `mdcache shadow` (messages, terminal heading). */
  label: string;
  processes: number;
  outDir: string;
  workerArgs: readonly string[];
  bench: BenchScenario;
  shared: SharedConfig | undefined;
  run: { id: string; command: string; version: string; host: string };
  /** null: no gates (--no-gate); undefined: the scenario's, else the defaults. */
  gates: readonly GateSpec[] | null | undefined;
  durationMs: number;
  json?: boolean;
  junit?: string;
  /** The report's title and extra sections (a function of the merged results, e.g. shadow's divergence section). */
  report?: RunOutputOptions['report'] | ((merged: Results) => RunOutputOptions['report']);
  /** Worker stderr lines passed on (e.g. their /metrics URLs). */
  relay?: RegExp;
  extraSummary?: (merged: Results) => string | undefined;
}

/** A worker's run folder read back (results.json and its .hlog files); a worker that wrote none fails the run. */
function loadWorker(dir: string, worker: number): LoadedRun {
  try {
    return loadRun(dir);
  } catch (err) {
    throw new ExitCode(EXIT.gate, `mdcache: worker ${worker}'s run in ${dir} cannot be read (${(err as Error).message.split('\n')[0]})`);
  }
}

export async function runLiveFleet(o: LiveFleetOptions): Promise<void> {
  const ran = await runWorkerProcesses({ label: o.label, processes: o.processes, outDir: o.outDir, workerArgs: o.workerArgs, relay: o.relay });
  const workers = ran.workers.map((w) => loadWorker(w.dir, w.index));
  const { results, hlogs } = mergeProcessRuns(workers, {
    run: o.run,
    shared: o.shared ? { url: o.shared.url, lease_ms: o.shared.lease_ms } : null,
    budgetWeightPerMin: o.bench.scenario.rest.budget?.weight_per_min,
  });
  results.run.wall_ms = Math.round(ran.wallMs);
  if (ran.interrupted) results.run.interrupted = true;
  if (o.gates !== null) {
    const ev = evaluateGates(results, o.gates ?? o.bench.gates ?? defaultGatesFor(results));
    results.gates = ev.gates;
    results.verdict = ev.verdict;
  }
  writeRunOutput(results, hlogs, { outDir: o.outDir, json: o.json, junit: o.junit, command: o.label, report: typeof o.report === 'function' ? o.report(results) : o.report, extraSummary: o.extraSummary?.(results) });
  if (results.run.interrupted && o.gates !== null) throw new ExitCode(EXIT.gate, `mdcache: interrupted after ${formatDuration(results.duration_ms)} of ${formatDuration(o.durationMs)}; the results cover what ran and are not a pass`);
  exitOnVerdict(results);
}
