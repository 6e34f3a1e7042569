/**
 * The worker side of a fleet of real processes (`bench|shadow --source binance --processes N`): the parent
 * forks the CLI with the hidden `--fleet-worker i/N` flag and an IPC channel. The worker connects to the
 * exchange (and syncs its books), says `ready`, and starts its run's clock only on the parent's `go`, so every
 * worker's windows start within a few ms of each other. If the parent goes away (its IPC channel closes: it
 * was killed), the worker stops as on SIGTERM — it never outlives its parent by more than its write phase.
 */
import { UsageError } from '../core/errors.js';
import { EXIT, ExitCode } from './exit.js';

export interface WorkerRole {
  index: number;
  of: number;
}

/** Messages on the IPC channel. */
export type ToParent = { type: 'ready' };
export type ToWorker = { type: 'go' };

/** `--fleet-worker i/N` (internal). */
export function workerRoleFlag(v: string): WorkerRole {
  const m = /^(\d+)\/(\d+)$/.exec(v.trim());
  const index = m ? Number(m[1]) : NaN;
  const of = m ? Number(m[2]) : NaN;
  if (!m || !(of >= 1) || !(index >= 0 && index < of)) throw new UsageError(`--fleet-worker: invalid value '${v}' (internal flag: i/N, set by --processes)`);
  return { index, of };
}

/** The stream-name prefix of worker i (its own tick arrivals and stage draws on the run's seed). */
export function workerStreamPrefix(role: WorkerRole | undefined): string | undefined {
  return role ? `p${role.index}/` : undefined;
}

/**
 * Checks that this process was forked by a fleet parent and ties its life to the parent's: when the IPC
 * channel closes (the parent died), the worker stops like on SIGTERM (results of what ran are written).
 */
export function joinFleet(): void {
  if (typeof process.send !== 'function') throw new UsageError('--fleet-worker is internal: it is set by --processes N on the worker processes it starts');
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  // A 'disconnect' listener refs the IPC channel, which would keep a worker that failed before the run (an
  // unreachable exchange: exit 2) alive forever and its parent waiting for it. Its sockets and timers hold
  // it up while it works; the channel must not.
  process.channel?.unref();
}

/**
 * Says `ready` and resolves on the parent's `go`; then stops listening (the channel no longer holds the
 * process up). Rejects when `signal` aborts first (the fleet is stopping before its run started).
 */
export function fleetBarrier(signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      process.off('message', onMessage);
      signal?.removeEventListener('abort', onAbort);
      process.channel?.unref();
    };
    const onMessage = (m: unknown): void => {
      if ((m as ToWorker | undefined)?.type !== 'go') return;
      done();
      resolve();
    };
    const onAbort = (): void => {
      done();
      reject(new ExitCode(EXIT.gate, 'mdcache: stopped before the run started'));
    };
    if (signal?.aborted) return onAbort();
    process.on('message', onMessage);
    signal?.addEventListener('abort', onAbort, { once: true });
    process.send!({ type: 'ready' } satisfies ToParent);
  });
}

/**
 * Wraps a market factory so that the worker waits at the barrier after connecting, before the run's clock
 * starts; a market whose barrier is aborted is closed.
 */
export function afterBarrier<A extends unknown[], T extends { close?(): unknown }>(factory: (...a: A) => Promise<T>, signal?: AbortSignal): (...a: A) => Promise<T> {
  return async (...a: A) => {
    const m = await factory(...a);
    try {
      await fleetBarrier(signal);
    } catch (err) {
      await m.close?.();
      throw err;
    }
    return m;
  };
}
