/** Tick arrival processes: the open-loop schedule ticks are measured against. */
import type { Rng } from '../core/rng.js';
import type { TicksConfig } from './config.js';

/** Returns a function giving the interval (ms) to the next scheduled tick. */
export function arrivalIntervals(cfg: TicksConfig, rng: Rng): () => number {
  const mean = 1000 / cfg.rate_hz;
  switch (cfg.arrival) {
    case 'fixed':
      return () => mean;
    case 'jitter': {
      const j = cfg.jitter_pct / 100;
      return () => mean * (1 + rng.uniform(-j, j));
    }
    case 'poisson':
      return () => rng.exponential(mean);
  }
}
