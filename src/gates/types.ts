/** Gate definitions (what to check) and evaluation results (what was found). */
import type { GateResult, Verdict } from '../results/types.js';

export const OPS = ['<', '<=', '>', '>=', '==', '!='] as const;
export type Op = (typeof OPS)[number];

/**
 * - `absolute`: `metric` is a full path (`cached.fetch_md_ms.p95`) compared with `value`.
 * - `improvement_ms`: `metric` is a path-less latency (`fetch_md_ms.p95`); compares uncached − cached.
 * - `regression_pct`: path-less metric; compares (cached − uncached) / uncached × 100.
 */
export type GateKind = 'absolute' | 'improvement_ms' | 'regression_pct';

/** `error` (default): decides the verdict. `warn`: evaluated and shown (⚠), never changes the verdict. */
export type GateSeverity = 'error' | 'warn';

export interface GateSpec {
  /** Display name; defaults to a readable form of the rule (see gateName). */
  name?: string;
  /** Default `error`. */
  severity?: GateSeverity;
  kind: GateKind;
  metric: string;
  op: Op;
  value: number;
  /**
   * The cached path (arm) a relative gate compares with uncached, or the arm an absolute gate was expanded
   * for (default gates apply to each arm). Unset = `cached`.
   */
  arm?: string;
}

export interface EvaluateOptions {
  /** Two-sided confidence level of the intervals (default 0.95). */
  confidence?: number;
  /** Bootstrap resamples (default 2000). */
  resamples?: number;
  /** Fewer windows than this make every interval-based gate inconclusive (default 5). */
  minWindows?: number;
  /** Significance level of the Mann-Whitney test that must back an improvement gate (default 0.05). */
  alpha?: number;
  /** Seed of the bootstrap streams (default: the run's seed). */
  seed?: number | string;
}

export interface GateEvaluation {
  gates: GateResult[];
  verdict: Verdict;
  /** With named arms: each arm's verdict over its own gates and the run-wide (uncached-only) ones. */
  arms?: { name: string; verdict: Verdict }[];
}
