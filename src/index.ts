/**
 * The package root (`import … from 'mdcache'`): the cache engine and nothing else — MDCache, the clocks,
 * config helpers, errors, the invalidator, the order book and their types. Every name is listed explicitly.
 * Importing it loads no ws, yaml, chalk, cli-table3, hdr-histogram-js or prom-client: yaml loads on the
 * first parseConfig/loadConfig, hdr-histogram-js when a cache is built, prom-client when a cache binds to a
 * registry (the default unless `registry: null`). The proving ground lives in subpath exports
 * (mdcache/sim, mdcache/gates, mdcache/report, mdcache/market, mdcache/scenario, mdcache/exchange,
 * mdcache/net, mdcache/ops); test/core/package-exports.test.ts pins this list and what the import loads.
 */

// Cache engine
export { MDCache, DEFAULT_JITTER_SEED, METRIC_NAMES, REFRESH_LATENCY_BUCKETS_MS } from './cache/index.js';
export type {
  MDCacheOptions,
  MDCacheDeps,
  GetResult,
  GetStatus,
  GetOptions,
  CacheStats,
  LatencySummary,
  RefreshFn,
  RefreshContext,
  InvalidationReason,
  Invalidatable,
} from './cache/index.js';

// Clocks
export { RealClock, VirtualClock } from './core/clock.js';
export { CoarseClock } from './cache/index.js';
export type { Clock, TimerHandle } from './core/clock.js';
export type { AbortLike } from './core/abort.js';

// Config helpers
export { MD_CACHE_DEFAULTS, mdCacheConfig } from './config/md-cache.js';
export type { MdCacheConfig, RetryConfig } from './config/md-cache.js';
export { parseConfig, loadConfig } from './config/load.js';
export type { Config } from './config/load.js';

// Errors
export { ConfigError, UsageError, RefreshError, RetryAfterError, TimeoutError, CacheClosedError } from './core/errors.js';
export type { Problem } from './core/errors.js';

// The invalidator (exchange feed → cache invalidations) and what it consumes
export { MDCacheInvalidator, bookBest } from './market/invalidator.js';
export type { InvalidatorOptions, BestTicks, InvalidatorCounts } from './market/invalidator.js';
export type { MarketFeed, FeedMessage, FeedRecord, SymbolInfo } from './market/feed.js';

// The order book
export { OrderBook } from './market/book.js';
export type { BookMeta } from './market/book.js';
export { TickError } from './market/ticks.js';
export type { TickSize } from './market/ticks.js';
export type { Level, DepthSnapshot, DepthDiff, Instrument } from './market/types.js';
