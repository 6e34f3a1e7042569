/**
 * `mdcache/sim`: the deterministic simulator — bench runs, the tick pipeline config, seeded RNG streams and
 * the results.json types. Explicit names only (no `export *` of internals).
 */
export { runBench, DEFAULT_WINDOW_MS } from './bench.js';
export type { BenchOptions, BenchOutput } from './bench.js';
export { loadBenchScenario, parseBenchScenario } from './bench-scenario.js';
export type { BenchScenario } from './bench-scenario.js';
export { Simulation, simulate } from './simulate.js';
export type { SimMarket, SimulationOptions, SimulationOutput, Route, ArmSpec, ArmOutput } from './simulate.js';
export { readArms, armsFromPolicies, RESERVED_ARM_NAMES } from './arms.js';
export { readPipeline, PIPELINE_DEFAULTS } from '../pipeline/config.js';
export type { PipelineConfig, StageConfig, TicksConfig, Arrival, OnBusy } from '../pipeline/config.js';
export { Rng, rngStream } from '../core/rng.js';
export type * from '../results/types.js';
export { loadRun, mergeRuns, mergeRunDirs, checkMergeable, histogramScale } from './merge.js';
export type { LoadedRun, MergeOptions, MergeOutput } from './merge.js';
