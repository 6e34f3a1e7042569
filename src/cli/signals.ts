/** SIGINT/SIGTERM → an AbortSignal, so long runs stop cleanly and still write what they measured. */
import { removeTempFiles } from '../io/atomic.js';

export function stopOnSignals(onStop?: (sig: string) => void): { signal: AbortSignal; dispose(): void; stoppedBy(): string | undefined } {
  const ac = new AbortController();
  let by: string | undefined;
  const handler = (sig: NodeJS.Signals): void => {
    if (ac.signal.aborted) {
      // A second signal means "now": exit without waiting for in-flight ticks, leaving no temp files behind.
      removeTempFiles();
      process.exit(130);
    }
    by = sig;
    onStop?.(sig);
    ac.abort(new Error(`stopped by ${sig}`));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: ac.signal,
    stoppedBy: () => by,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
