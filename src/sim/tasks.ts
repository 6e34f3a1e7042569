/** The tasks the worker pool runs (src/sim/pool.ts), by name; each handler is loaded on first use. */
import type { SweepPointInput, SweepPointOutput } from './sweep-point.js';
import type { ShardInput, ShardOutput } from './shard.js';

export interface Tasks {
  'sweep-point': { input: SweepPointInput; output: SweepPointOutput };
  shard: { input: ShardInput; output: ShardOutput };
}

export type TaskKind = keyof Tasks;
export type TaskInput<K extends TaskKind> = Tasks[K]['input'];
export type TaskOutput<K extends TaskKind> = Tasks[K]['output'];

/**
 * Runs one task; `sample` is called now and then (with the simulated time, when there is one) so the caller
 * can track peak heap and progress. `signal` stops a shard at the simulated second it is checked at.
 */
export async function runTask<K extends TaskKind>(kind: K, input: TaskInput<K>, sample?: (simMs?: number) => void, signal?: AbortSignal): Promise<TaskOutput<K>> {
  switch (kind) {
    case 'sweep-point':
      return (await import('./sweep-point.js')).runSweepPoint(input as SweepPointInput, sample) as Promise<TaskOutput<K>>;
    case 'shard':
      return (await import('./shard.js')).runShard(input as ShardInput, sample, signal) as Promise<TaskOutput<K>>;
    default:
      throw new Error(`unknown pool task '${String(kind)}'`);
  }
}
