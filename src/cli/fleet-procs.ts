/**
 * The parent of a fleet of real processes (`bench|shadow --source binance --processes N [--shared redis://…]`):
 * forks N workers (this CLI with `--fleet-worker i/N --out <out>/proc-<i>`), waits until every one has
 * connected to the exchange, starts them together, and waits for all of them.
 *
 * - A worker that dies (non-zero exit, a signal such as kill -9) fails the run: the others are stopped
 *   (SIGTERM: they write what ran), and the error names the worker, its pid, how it ended and its stderr tail.
 *   Exit 2 when it failed before the run started with exit 2 (bad input it found: an unreachable exchange, a
 *   symbol the exchange does not list); otherwise exit 1.
 * - SIGINT/SIGTERM: forwarded (SIGTERM) to every worker; the parent waits for all of them and the results of
 *   what ran are merged (marked interrupted). A second signal kills the workers (SIGKILL) and exits 130.
 * - Workers run in their own process group (a terminal's Ctrl-C reaches only the parent, which forwards it
 *   once), and stop by themselves when the parent's IPC channel closes (the parent was killed): no orphans.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { RealClock } from '../core/clock.js';
import { removeTempFiles } from '../io/atomic.js';
import { EXIT, ExitCode } from './exit.js';
import type { ToParent, ToWorker } from './fleet-worker.js';

/** Real worker processes at most (each is a node process with its own exchange connections). */
export const MAX_WORKER_PROCESSES = 64;

export interface WorkerOutcome {
  index: number;
  pid: number;
  dir: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines the worker wrote on stderr. */
  stderrTail: string;
}

export interface FleetRunOptions {
  /** e.g. `mdcache bench` (messages). */
  label: string;
  processes: number;
  outDir: string;
  /** The worker's CLI arguments (after the node binary and the script), without --out and --fleet-worker. */
  workerArgs: readonly string[];
  /** The CLI entry script to fork (default: this process' own, process.argv[1]). */
  script?: string;
  log?: (line: string) => void;
  /** Lines a worker writes on stderr that are passed on to the parent's stderr (prefixed with the worker). */
  relay?: RegExp;
}

export interface FleetRunOutput {
  workers: WorkerOutcome[];
  /** The parent was stopped by SIGINT/SIGTERM (forwarded to the workers). */
  interrupted: boolean;
  /** ms from `go` to the last worker's exit (the fleet's wall time). */
  wallMs: number;
}

const TAIL_BYTES = 2000;

/** Removes a flag (and its value, given as `--f v` or `--f=v`) from an argv. */
export function dropFlags(argv: readonly string[], withValue: readonly string[], bare: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
    if (withValue.includes(name)) {
      if (!a.includes('=')) i++;
      continue;
    }
    if (bare.includes(a)) continue;
    out.push(a);
  }
  return out;
}

function describeEnd(w: Pick<WorkerOutcome, 'code' | 'signal'>): string {
  return w.signal ? `was killed by ${w.signal}` : `exited with code ${w.code}`;
}

function indent(tail: string): string {
  const t = tail.trimEnd();
  return t ? t.split('\n').map((l) => `    ${l}`).join('\n') : '    (nothing on stderr)';
}

interface Worker {
  index: number;
  child: ChildProcess;
  dir: string;
  ready: boolean;
  tail: string;
  exited?: { code: number | null; signal: NodeJS.Signals | null };
  closed: Promise<void>;
}

/**
 * Runs the fleet; resolves when every worker has exited 0 (or after an interruption, when all have exited).
 * Throws ExitCode (1 or 2) when a worker failed; no worker is left running either way.
 */
export async function runWorkerProcesses(o: FleetRunOptions): Promise<FleetRunOutput> {
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const script = o.script ?? process.argv[1]!;
  const clock = new RealClock();
  let stopping = false;
  let interrupted = false;
  let failure: Worker | undefined;
  let started = false;
  let goAt = 0;
  const workers: Worker[] = [];
  // Resolves once the fleet is stopping (a worker failed, or a signal) — the wait for `ready` ends then.
  let wake!: () => void;
  const stoppingP = new Promise<void>((r) => (wake = r));

  const stopAll = (sig: NodeJS.Signals): void => {
    for (const w of workers) if (!w.exited && w.child.pid !== undefined) w.child.kill(sig);
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    if (interrupted) {
      // A second signal: now. Kill the workers (they would outlive us otherwise) and leave no temp files.
      stopAll('SIGKILL');
      removeTempFiles();
      process.exit(130);
    }
    interrupted = true;
    stopping = true;
    log(`\n${sig}: stopping the ${o.processes} workers; writing the results of what ran...`);
    stopAll('SIGTERM');
    wake();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let allReady!: () => void;
  const readyP = new Promise<void>((r) => (allReady = r));
  const checkReady = (): void => {
    if (!stopping && workers.length === o.processes && workers.every((w) => w.ready)) allReady();
  };

  try {
    for (let i = 0; i < o.processes; i++) {
      const dir = join(o.outDir, `proc-${i}`);
      const child = fork(script, [...o.workerArgs, '--out', dir, '--fleet-worker', `${i}/${o.processes}`], {
        detached: true,
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        env: { ...process.env, NO_COLOR: '1', GITHUB_STEP_SUMMARY: '' },
      });
      const w: Worker = { index: i, child, dir, ready: false, tail: '', closed: Promise.resolve() };
      w.closed = new Promise<void>((resolve) => {
        child.once('close', () => resolve());
        child.once('error', (err) => {
          w.tail += `\n${err.message}`;
          if (!w.exited) w.exited = { code: null, signal: null };
          resolve();
        });
      });
      let partial = '';
      child.stderr!.setEncoding('utf8').on('data', (c: string) => {
        w.tail = (w.tail + c).slice(-TAIL_BYTES);
        if (!o.relay) return;
        partial += c;
        const lines = partial.split('\n');
        partial = lines.pop()!;
        for (const l of lines) if (o.relay.test(l)) log(`worker ${i}: ${l}`);
      });
      child.on('message', (m: unknown) => {
        if ((m as ToParent | undefined)?.type !== 'ready') return;
        w.ready = true;
        checkReady();
      });
      child.once('exit', (code, signal) => {
        w.exited = { code, signal };
        const ok = code === 0 || (interrupted && (code === 1 || signal === 'SIGTERM'));
        if (!ok && !failure && !interrupted) {
          failure = w;
          stopping = true;
          stopAll('SIGTERM');
        }
        // A worker that exits before `go` (even cleanly) means the fleet cannot start as asked.
        if (!started && !stopping) {
          failure ??= w;
          stopping = true;
          stopAll('SIGTERM');
        }
        if (stopping) wake();
      });
      workers.push(w);
    }
    log(`${o.label}: ${o.processes} worker processes (pids ${workers.map((w) => w.child.pid).join(', ')}) connecting; results in ${join(o.outDir, 'proc-<i>')}/`);

    // Wait until all are ready or the fleet is stopping (a worker failed, or a signal).
    await Promise.race([readyP, stoppingP]);
    if (!stopping) {
      started = true;
      goAt = clock.now();
      for (const w of workers) w.child.send({ type: 'go' } satisfies ToWorker);
      log(`${o.label}: all ${o.processes} workers connected; running`);
    }
    await Promise.all(workers.map((w) => w.closed));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  const outcomes = workers.map((w): WorkerOutcome => ({ index: w.index, pid: w.child.pid ?? 0, dir: w.dir, code: w.exited?.code ?? null, signal: w.exited?.signal ?? null, stderrTail: w.tail }));
  if (failure) {
    const f = outcomes[failure.index]!;
    const before = !started;
    const code = before && f.code === EXIT.usage ? EXIT.usage : EXIT.gate;
    const when = before ? 'before the run started' : 'during the run';
    throw new ExitCode(
      code,
      `mdcache: worker ${f.index} of ${o.processes} (pid ${f.pid}) ${describeEnd(f)} ${when}; the fleet run failed` +
        (before ? '' : ` (the other workers were stopped; what each ran is in ${join(o.outDir, 'proc-<i>')}/)`) +
        `. Its stderr ended with:\n${indent(f.stderrTail)}`,
    );
  }
  return { workers: outcomes, interrupted, wallMs: started ? clock.now() - goAt : 0 };
}
