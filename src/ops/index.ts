/** `mdcache/ops`: production config, shadow and canary runs, and the Prometheus /metrics server. */
export { loadProdConfig, parseProdConfig } from './prod-config.js';
export type { ProdConfig, SourceConfig, ShadowSettings, CanarySettings } from './prod-config.js';
export { runShadow } from './shadow.js';
export type { ShadowOptions } from './shadow.js';
export { runCanary, canarySet, symbolBucket, CANARY_SCHEMA } from './canary.js';
export type { CanaryResults, CanaryStep, CanaryOutcome, CanaryOptions } from './canary.js';
export { startMetricsServer } from '../metrics/server.js';
export type { MetricsServer } from '../metrics/server.js';
export { exposeRestMetrics, REST_METRIC_NAMES } from '../metrics/rest-metrics.js';
export type { RestCounts, RestMetricsSource } from '../metrics/rest-metrics.js';
export { RestMeter, meteredSource } from '../sim/rest-meter.js';
