/** Run limits shared by the simulator and the commands (see README "Limits"). */

/**
 * At most this many statistics windows per run: each window holds a histogram per metric and path (~180 KB
 * measured), so bounding the count bounds a run's memory whatever its duration or `--window`.
 */
export const MAX_WINDOWS = 1000;

/** Longest simulated (virtual-time) run: bounded host time (a 30m run takes seconds; 24h about 50 × that). */
export const MAX_VIRTUAL_DURATION_MS = 24 * 60 * 60_000;

/** Longest real-clock bench or canary. */
export const MAX_REALTIME_DURATION_MS = 60 * 60_000;

/** The shortest window (whole milliseconds, rounded up to a whole second above 1 s) that keeps a run within MAX_WINDOWS. */
export function minWindowMs(durationMs: number): number {
  const ms = Math.ceil(durationMs / MAX_WINDOWS);
  return ms > 1000 ? Math.ceil(ms / 1000) * 1000 : Math.max(1, ms);
}
