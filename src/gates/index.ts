/** Gates: definitions, YAML reading, evaluation with confidence intervals, run comparison (all pure but loadGatesFile). */
export { OPS } from './types.js';
export type { Op, GateKind, GateSeverity, GateSpec, EvaluateOptions, GateEvaluation } from './types.js';
export { DEFAULT_GATES, ERROR_DEFAULT_GATES, defaultGates, warnDefaultGates, ROLLBACK_GATES, gateName, gateMetricLabel, gateToYaml, expandGatesForArms, readGates, parseGatesDocument, loadGatesFile, gatesFromScenario } from './spec.js';
export { evaluateGates, evaluateGate, defaultGatesFor, verdictOf, decide, checkGatesAgainstResults, pairWindows, EVALUATE_DEFAULTS, fmtP } from './evaluate.js';
export { compareResults } from './compare.js';
export type { CompareRow, Comparison } from './compare.js';
export { mannWhitneyU, bootstrap, quantile, mean, normalCdf } from './stats.js';
export type { MannWhitneyResult, BootstrapResult, Alternative } from './stats.js';
export { metricInfo, parseMetricPath, readMetric, allMetricPaths, allRelativeMetrics, VALID_METRICS_TEXT } from './metrics.js';
export type { MetricInfo, Unit, PathName } from './metrics.js';
