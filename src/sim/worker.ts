/** The worker_threads entry of the pool (src/sim/pool.ts): runs named tasks and replies with their outputs. */
import { getHeapStatistics } from 'node:v8';
import { parentPort } from 'node:worker_threads';
import { runTask, type TaskKind } from './tasks.js';
import { RealClock } from '../core/clock.js';

const PROGRESS_EVERY_MS = 20;
const wall = new RealClock();
let peakHeap = 0;
/** The task running now: the pool may ask it to stop once its simulated time reaches `stopAt`. */
let current: { ac: AbortController; stopAt: number } | undefined;

type Message = { id: number; kind: TaskKind; input: never } | { stopAt: number };

parentPort?.on('message', (m: Message) => {
  if ('stopAt' in m) {
    if (current) current.stopAt = m.stopAt;
    return;
  }
  const run = { ac: new AbortController(), stopAt: Infinity };
  current = run;
  let postedAt = -Infinity;
  // Called with the simulated time at every step (at most one simulated second apart) of a shard: the stop
  // time is checked at every step; progress goes to the pool at most every PROGRESS_EVERY_MS of wall time.
  const sample = (simMs?: number): void => {
    peakHeap = Math.max(peakHeap, getHeapStatistics().used_heap_size);
    if (simMs === undefined) return;
    if (simMs >= run.stopAt) run.ac.abort();
    const now = wall.now();
    if (now - postedAt >= PROGRESS_EVERY_MS) {
      postedAt = now;
      parentPort!.postMessage({ id: m.id, progress: simMs });
    }
  };
  peakHeap = 0;
  sample();
  runTask(m.kind, m.input, sample, run.ac.signal).then(
    (result) => {
      sample();
      current = undefined;
      parentPort!.postMessage({ id: m.id, ok: true, result, peakHeap });
    },
    (err: unknown) => {
      current = undefined;
      const e = err as Error & { problems?: unknown; source?: string };
      parentPort!.postMessage({ id: m.id, ok: false, peakHeap, error: { name: e?.name ?? 'Error', message: e?.message ?? String(err), problems: e?.problems, source: e?.source, stack: e?.stack } });
    },
  );
});
