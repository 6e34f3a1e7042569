/**
 * The parent's side of a live fleet run: start the workers (fleet-procs.ts), read what each wrote in
 * `<out>/proc-<i>/` (results.json, recordings.json), merge them exactly into `<out>/results.json` + report,
 * evaluate the gates on the merged run and exit like a single run would.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { wallClockEpochMs, wallClockIso } from '../core/clock.js';
import { formatDuration } from '../core/duration.js';
import type { SharedConfig } from '../config/md-cache.js';
import { defaultGatesFor, evaluateGates } from '../gates/evaluate.js';
import type { GateSpec } from '../gates/types.js';
import type { Results } from '../results/types.js';
import type { BenchScenario } from '../sim/bench-scenario.js';
import { mergeProcessRuns, type WorkerRun } from '../sim/merge-processes.js';
import type { ShardOutput } from '../sim/shard.js';
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
  report?: RunOutputOptions['report'];
  /** Worker stderr lines passed on (e.g. their /metrics URLs). */
  relay?: RegExp;
  /** Adds command-specific blocks to the merged results (e.g. shadow) before the gates are evaluated. */
  complete?: (merged: Results, workers: readonly Results[]) => void;
  extraSummary?: (merged: Results) => string | undefined;
}

function readJson<T>(file: string, worker: number): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (err) {
    throw new ExitCode(EXIT.gate, `mdcache: worker ${worker} exited without writing ${file} (${(err as Error).message.split('\n')[0]})`);
  }
}

export async function runLiveFleet(o: LiveFleetOptions): Promise<void> {
  const startedAt = wallClockIso();
  const startSec = wallClockEpochMs() / 1000;
  const ran = await runWorkerProcesses({ label: o.label, processes: o.processes, outDir: o.outDir, workerArgs: o.workerArgs, relay: o.relay });
  const workers: WorkerRun[] = ran.workers.map((w) => ({
    results: readJson<Results>(join(w.dir, 'results.json'), w.index),
    recordings: readJson<ShardOutput>(join(w.dir, 'recordings.json'), w.index),
  }));
  const { results, hlogs } = mergeProcessRuns(workers, {
    bench: o.bench,
    run: { ...o.run, started_at: startedAt, wall_ms: Math.round(ran.wallMs), clock: 'real' },
    hlogStartSec: startSec,
    shared: o.shared ? { url: o.shared.url, lease_ms: o.shared.lease_ms } : null,
    budgetWeightPerMin: o.bench.scenario.rest.budget?.weight_per_min,
  });
  if (ran.interrupted) results.run.interrupted = true;
  o.complete?.(
    results,
    workers.map((w) => w.results),
  );
  if (o.gates !== null) {
    const ev = evaluateGates(results, o.gates ?? o.bench.gates ?? defaultGatesFor(results));
    results.gates = ev.gates;
    results.verdict = ev.verdict;
  }
  writeRunOutput(results, hlogs, { outDir: o.outDir, json: o.json, junit: o.junit, command: o.label, report: o.report, extraSummary: o.extraSummary?.(results) });
  if (results.run.interrupted && o.gates !== null) throw new ExitCode(EXIT.gate, `mdcache: interrupted after ${formatDuration(results.duration_ms)} of ${formatDuration(o.durationMs)}; the results cover what ran and are not a pass`);
  exitOnVerdict(results);
}
