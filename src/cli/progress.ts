/** A one-line progress bar on stderr, only when stderr is a TTY (never in pipes or CI logs). */
import { formatDuration } from '../core/duration.js';

export interface Progress {
  update(doneMs: number): void;
  done(): void;
}

const NOOP: Progress = { update() {}, done() {} };

/**
 * `totalMs` is simulated time; the ETA is extrapolated from host time spent so far.
 * `hostNow` is injected (the CLI passes the real clock) so this file touches no timers itself.
 */
export function progressBar(label: string, totalMs: number, hostNow: () => number, enabled: boolean, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!enabled || !stream.isTTY) return NOOP;
  const started = hostNow();
  let last = -1;
  return {
    update(doneMs: number) {
      const frac = Math.min(1, doneMs / totalMs);
      const pct = Math.floor(frac * 100);
      if (pct === last) return;
      last = pct;
      const width = 30;
      const filled = Math.round(frac * width);
      const elapsed = hostNow() - started;
      const eta = frac > 0 ? (elapsed / frac) * (1 - frac) : 0;
      const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
      stream.write(`\r${label} ${bar} ${String(pct).padStart(3)}%  sim ${fmt(doneMs)}/${fmt(totalMs)}  eta ${(eta / 1000).toFixed(1)}s `);
    },
    done() {
      stream.write('\r\x1b[2K');
    },
  };
}

function fmt(ms: number): string {
  return formatDuration(Math.round(ms / 1000) * 1000 || 0);
}
