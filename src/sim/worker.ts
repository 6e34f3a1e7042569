/** The worker_threads entry of the pool (src/sim/pool.ts): runs named tasks and replies with their outputs. */
import { parentPort } from 'node:worker_threads';
import { runTask, type TaskKind } from './tasks.js';

let peakHeap = 0;
const sample = (): void => {
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
};

parentPort?.on('message', (m: { id: number; kind: TaskKind; input: never }) => {
  peakHeap = 0;
  sample();
  runTask(m.kind, m.input, sample).then(
    (result) => {
      sample();
      parentPort!.postMessage({ id: m.id, ok: true, result, peakHeap });
    },
    (err: unknown) => {
      const e = err as Error & { problems?: unknown; source?: string };
      parentPort!.postMessage({ id: m.id, ok: false, peakHeap, error: { name: e?.name ?? 'Error', message: e?.message ?? String(err), problems: e?.problems, source: e?.source, stack: e?.stack } });
    },
  );
});
