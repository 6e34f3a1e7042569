/**
 * A small worker_threads pool shared by `mdcache sweep` (one task per grid point) and the sharded bench
 * (one task per symbol shard). Tasks are named handlers in src/sim/worker.ts; results come back in task
 * order whatever the number of workers, so output never depends on `--jobs`. With one worker (or one task)
 * the tasks run in this thread, in order, through the caller's `inline` runner: the pool itself imports no
 * task handler, so a handler may use the pool (the bench shards through it, and a sweep point runs a bench)
 * without an import cycle.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { ConfigError, UsageError, type Problem } from '../core/errors.js';
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
  inline: (input: TaskInput<K>, sample: () => void) => Promise<TaskOutput<K>>;
  /** Worker threads at most (default: the number of cores). */
  jobs?: number;
  /** Called as each task finishes (in completion order), e.g. for progress. */
  onDone?: (index: number, done: number, total: number) => void;
  /** Stops handing out tasks; running ones finish. */
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

interface Reply {
  id: number;
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
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    };
    for (let i = 0; i < tasks.length; i++) {
      if (o.signal?.aborted) break;
      outputs[i] = await o.inline(tasks[i]!.input, sample);
      sample();
      o.onDone?.(i, ++done, tasks.length);
    }
    return { outputs, stats: { workers: 0, peakHeapMb: Math.round(peakHeap / 1e5) / 10 } };
  }
  const script = workerScript();
  let next = 0;
  let failure: Error | undefined;
  const workers: Worker[] = [];
  const drive = (w: Worker): Promise<void> =>
    new Promise((resolve) => {
      const give = (): void => {
        if (failure || o.signal?.aborted || next >= tasks.length) {
          resolve();
          return;
        }
        const id = next++;
        w.postMessage({ id, kind: tasks[id]!.kind, input: tasks[id]!.input });
      };
      w.on('message', (r: Reply) => {
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
    await Promise.all(workers.map(drive));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  if (failure) throw failure;
  return { outputs, stats: { workers: jobs, peakHeapMb: Math.round(peakHeap / 1e5) / 10 } };
}
