/** Up-front checks of run lengths and windows (exit 2 stating the limit): runs that could not finish are refused. */
import { UsageError } from '../core/errors.js';
import { formatDuration } from '../core/duration.js';
import { MAX_REALTIME_DURATION_MS, MAX_VIRTUAL_DURATION_MS, MAX_WINDOWS, minWindowMs } from '../sim/limits.js';

import { MIN_STEP_DURATION_MS } from '../ops/prod-config.js';

export function checkRunLength(durationMs: number, windowMs: number | undefined, realtime: boolean): void {
  if (realtime && durationMs > MAX_REALTIME_DURATION_MS) throw new UsageError(`--duration: ${formatDuration(durationMs)} on the real clock is too long; use at most 1h with --realtime (virtual time runs 30m in seconds)`);
  if (durationMs > MAX_VIRTUAL_DURATION_MS) throw new UsageError(`--duration: ${formatDuration(durationMs)} is too long; a run simulates at most 24h (about 50 × the CPU time of a 30m run)`);
  if (windowMs !== undefined && windowMs > durationMs) throw new UsageError(`--window: ${formatDuration(windowMs)} is longer than the run (${formatDuration(durationMs)})`);
  if (windowMs !== undefined && Math.ceil(durationMs / windowMs) > MAX_WINDOWS) {
    throw new UsageError(`--window: ${formatDuration(windowMs)} makes ${Math.ceil(durationMs / windowMs)} windows; a run has at most ${MAX_WINDOWS} (each costs memory), so use --window ${formatDuration(minWindowMs(durationMs))} or longer`);
  }
}

/** Step length and total length limits of a canary: too short to decide anything, or too long to finish. */
export function checkCanaryLength(stepMs: number, steps: number, windowMs: number, realtime: boolean): void {
  if (stepMs < MIN_STEP_DURATION_MS) throw new UsageError(`--step-duration: ${formatDuration(stepMs)} is too short; a step needs at least ${formatDuration(MIN_STEP_DURATION_MS)} (5 statistics windows of 2 s) to decide anything`);
  const total = steps * stepMs;
  if (realtime && total > MAX_REALTIME_DURATION_MS) throw new UsageError(`--step-duration: ${steps} steps of ${formatDuration(stepMs)} on the real clock is ${formatDuration(total)}; at most 1h`);
  if (total > MAX_VIRTUAL_DURATION_MS) throw new UsageError(`--step-duration: ${steps} steps of ${formatDuration(stepMs)} is ${formatDuration(total)}; a canary simulates at most 24h`);
  if (Math.ceil(total / windowMs) > MAX_WINDOWS) throw new UsageError(`canary.window: ${formatDuration(windowMs)} makes ${Math.ceil(total / windowMs)} windows over ${formatDuration(total)}; at most ${MAX_WINDOWS} (use a longer canary.window)`);
}
