/** Shared report inputs: which gate evaluation a renderer shows (pure). */
import { armNames, type Results } from '../results/types.js';
import type { GateEvaluation } from '../gates/types.js';
import { evaluateGates } from '../gates/evaluate.js';
import { gatesFromScenario } from '../gates/spec.js';

/**
 * The evaluation to show: the one given, else the one stored in the results (what the run decided),
 * else a fresh evaluation of the scenario's gates (or the defaults).
 */
export function evaluationFor(results: Results, given?: GateEvaluation): GateEvaluation {
  if (given) return given;
  if (results.gates && results.verdict) {
    const arms = results.arms?.filter((a) => a.verdict !== undefined).map((a) => ({ name: a.name, verdict: a.verdict! }));
    return { gates: results.gates, verdict: results.verdict, ...(arms && arms.length > 0 ? { arms } : {}) };
  }
  return evaluateGates(results, gatesFromScenario(results.scenario, 'results scenario', armNames(results)));
}
