/**
 * A small worker_threads pool shared by `mdcache sweep` (one task per grid point) and the sharded bench
 * (one task per symbol shard). Tasks are named handlers in src/sim/worker.ts; results come back in task
 * order whatever the number of workers, so output never depends on `--jobs`. With one worker (or one task)
 * the tasks run in this thread, in order, through the caller's `inline` runner: the pool itself imports no
 * task handler, so a handler may use the pool (the bench shards through it, and a sweep point runs a bench)
 * without an import cycle.
 */
import { availableParallelism } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { ConfigError, UsageError, type Problem } from '../core/errors.js';
import { RealClock } from '../core/clock.js';
import type { TaskKind, TaskInput, TaskOutput } from './tasks.js';

export interface PoolTask<K extends TaskKind = TaskKind> {
  kind: K;
  input: TaskInput<K>;
}

export interface PoolOptions<K extends TaskKind = TaskKind> {
  /**
   * Runs one task in this thread (used with one worker or one task); the worker threads run the same
   * handler by name (src/sim/worker.ts → tasks.ts).
   */
  inline: (input: TaskInput<K>, sample: () => void, signal?: AbortSignal) => Promise<TaskOutput<K>>;
  /** Worker threads at most (default: the number of cores). */
  jobs?: number;
  /** Called as each task finishes (in completion order), e.g. for progress. */
  onDone?: (index: number, done: number, total: number) => void;
  /**
   * Stops handing out tasks, and stops the running ones at one common simulated time: each worker reports its
   * simulated time at every step; on abort the pool picks T a little ahead of the furthest worker (about
   * STOP_AHEAD_MS of wall time at its pace) and every task stops at its first step at or after T — the same
   * step for all, since steps fall on one grid — so sharded results stay exact (a worker that had already
   * passed T, which the margin makes unlikely, stops at its next step). Inline tasks get the signal itself.
   */
  signal?: AbortSignal;
}

export interface PoolStats {
  workers: number;
  /** Largest V8 heap use any worker (or this thread, inline) reported while running a task, MB. */
  peakHeapMb: number;
}

/** The default `--jobs`: the number of cores. */
export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

/** The built worker script (dist/sim/worker.js), also when this module runs from src/ under vitest. */
export function workerScript(): URL {
  const here = new URL('./worker.js', import.meta.url);
  if (!import.meta.url.endsWith('.ts')) return here;
  const dist = new URL('../../dist/sim/worker.js', import.meta.url);
  if (!existsSync(fileURLToPath(dist))) throw new Error('dist/sim/worker.js is missing: run `npm run build` first');
  return dist;
}

/** Wall time, for the workers' pace. */
const wall = new RealClock();
/** How far ahead, in wall time at the fastest worker's pace, the common stop time is set. */
const STOP_AHEAD_MS = 200;

interface Reply {
  id: number;
  /** A progress report (simulated ms) of a running task, not its end. */
  progress?: number;
  ok: boolean;
  result?: unknown;
  error?: { name: string; message: string; problems?: Problem[]; source?: string; stack?: string };
  peakHeap: number;
}

function rebuildError(e: NonNullable<Reply['error']>): Error {
  if (e.name === 'ConfigError' && e.problems) return new ConfigError(e.problems, e.source);
  if (e.name === 'UsageError') return new UsageError(e.message);
  const err = new Error(e.message);
  err.name = e.name;
  if (e.stack) err.stack = e.stack;
  return err;
}

/** Runs every task; resolves with the outputs in task order (rejects with the first task error). */
export async function runPool<K extends TaskKind>(tasks: readonly PoolTask<K>[], o: PoolOptions<K>): Promise<{ outputs: TaskOutput<K>[]; stats: PoolStats }> {
  const jobs = Math.max(1, Math.min(o.jobs ?? defaultJobs(), tasks.length));
  const outputs: TaskOutput<K>[] = new Array(tasks.length);
  let peakHeap = 0;
  let done = 0;
  if (jobs === 1) {
    const sample = (): void => {
      peakHeap = Math.max(peakHeap, getHeapStatistics().used_heap_size);
    };
    for (let i = 0; i < tasks.length; i++) {
      if (o.signal?.aborted) break;
      outputs[i] = await o.inline(tasks[i]!.input, sample, o.signal);
      sample();
      o.onDone?.(i, ++done, tasks.length);
    }
    return { outputs, stats: { workers: 0, peakHeapMb: Math.round(peakHeap / 1e5) / 10 } };
  }
  const script = workerScript();
  let next = 0;
  let failure: Error | undefined;
  const workers: Worker[] = [];
  // Per worker: its task's last reported simulated time and its pace (simulated ms per wall ms).
  const pace = new Map<Worker, { startedAt: number; simMs: number; rate: number }>();
  const stop = (): void => {
    let at = 0;
    for (const p of pace.values()) at = Math.max(at, p.simMs + p.rate * STOP_AHEAD_MS);
    for (const w of workers) w.postMessage({ stopAt: at });
  };
  o.signal?.addEventListener('abort', stop, { once: true });
  const drive = (w: Worker): Promise<void> =>
    new Promise((resolve) => {
      const give = (): void => {
        // After an abort no new task starts; the first one of each worker always does (it stops at once):
        // the tasks of a sharded bench all start together, and each must report its part.
        if (failure || next >= tasks.length || (o.signal?.aborted && next >= jobs)) {
          resolve();
          return;
        }
        const id = next++;
        pace.set(w, { startedAt: wall.now(), simMs: 0, rate: 0 });
        w.postMessage({ id, kind: tasks[id]!.kind, input: tasks[id]!.input });
      };
      w.on('message', (r: Reply) => {
        if (r.progress !== undefined) {
          const p = pace.get(w);
          if (p) {
            p.simMs = r.progress;
            p.rate = r.progress / Math.max(1, wall.now() - p.startedAt);
          }
          return;
        }
        pace.delete(w);
        peakHeap = Math.max(peakHeap, r.peakHeap);
        if (r.ok) {
          outputs[r.id] = r.result as TaskOutput<K>;
          o.onDone?.(r.id, ++done, tasks.length);
        } else failure ??= rebuildError(r.error!);
        give();
      });
      w.on('error', (err) => {
        failure ??= err;
        resolve();
      });
      w.on('exit', () => resolve());
      give();
    });
  try {
    for (let k = 0; k < jobs; k++) workers.push(new Worker(script));
    const driven = Promise.all(workers.map(drive));
    if (o.signal?.aborted) stop(); // aborted before the tasks started: the listener never fires
    await driven;
  } finally {
    o.signal?.removeEventListener('abort', stop);
    await Promise.all(workers.map((w) => w.terminate()));
  }
  if (failure) throw failure;
  return { outputs, stats: { workers: jobs, peakHeapMb: Math.round(peakHeap / 1e5) / 10 } };
}
