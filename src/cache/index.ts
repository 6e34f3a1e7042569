/** The cache engine's public surface. */
export { MDCache, DEFAULT_JITTER_SEED, SYMBOL_LATENCY_WINDOW, MAX_RETRY_AFTER_MS, MAX_HOLD_MS } from './md-cache.js';
export type { MDCacheOptions } from './md-cache.js';
export { CoarseClock } from './coarse-clock.js';
export { METRIC_NAMES, REFRESH_LATENCY_BUCKETS_MS } from './metrics.js';
export type * from './types.js';
