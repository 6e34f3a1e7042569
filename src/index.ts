/** Public library API. */
export { VirtualClock, RealClock } from './core/clock.js';
export type { Clock, TimerHandle } from './core/clock.js';
export { Rng, rngStream } from './core/rng.js';
export { ConfigError, RefreshError, UsageError, TimeoutError } from './core/errors.js';
export type { Problem } from './core/errors.js';
export { parseConfig, loadConfig } from './config/load.js';
export type { Config } from './config/load.js';
export { MD_CACHE_DEFAULTS, mdCacheConfig } from './config/md-cache.js';
export type { MdCacheConfig, RetryConfig } from './config/md-cache.js';
export type * from './results/types.js';
export { MDCache, METRIC_NAMES, CoarseClock } from './cache/index.js';
export type { MDCacheOptions, GetResult, GetStatus, GetOptions, CacheStats, LatencySummary, RefreshFn, RefreshContext, MDCacheDeps, InvalidationReason, Invalidatable } from './cache/index.js';
export { DEFAULT_GATES, ROLLBACK_GATES, readGates, parseGatesDocument, loadGatesFile, gatesFromScenario, gateName, gateToYaml, evaluateGates, verdictOf, compareResults, mannWhitneyU } from './gates/index.js';
export type { GateSpec, GateKind, Op, EvaluateOptions, GateEvaluation, CompareRow, Comparison, MannWhitneyResult } from './gates/index.js';
export { renderMarkdownReport, renderStepSummary, renderCharts, renderTerminalSummary, renderGateTable, renderJUnit, renderCompareMarkdown, renderCompareTerminal, writeReport, writeReportFile, appendStepSummary, loadResults, parseResults, CHART_FILES } from './report/index.js';
export * from './market/index.js';
export * from './scenario/index.js';
