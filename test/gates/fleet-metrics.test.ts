/**
 * `fleet.*` gate metrics: read from a real fleet simulation (bench --processes, virtual time); a gate on one
 * passes or fails on the run's figures; an unknown fleet metric, or a fleet gate on a run without a fleet, is
 * one clear problem.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Reader } from '../../src/config/reader.js';
import { ConfigError } from '../../src/core/errors.js';
import { evaluateGates } from '../../src/gates/evaluate.js';
import { allMetricPaths, parseMetricPath, readMetric } from '../../src/gates/metrics.js';
import { parseGatesDocument, readGates } from '../../src/gates/spec.js';
import { loadBenchScenario } from '../../src/sim/bench-scenario.js';
import { runBench } from '../../src/sim/bench.js';
import { FLEET_SHARED_DEFAULTS } from '../../src/sim/fleet-config.js';
import { readArms } from '../../src/sim/arms.js';
import type { Results } from '../../src/results/types.js';

const RUN = { id: 'fleet-gates', command: 'mdcache bench (test)', version: '0.0.0-test', host: 'test-host' };
let fleet: Results;
let plain: Results;

beforeAll(async () => {
  const bench = loadBenchScenario('baseline');
  fleet = (await runBench({ bench, durationMs: 20_000, windowMs: 2000, seed: 4, symbols: 2, gates: null, run: RUN, fleet: { processes: 3, shared: { ...FLEET_SHARED_DEFAULTS } } })).results;
  plain = (await runBench({ bench, durationMs: 20_000, windowMs: 2000, seed: 4, symbols: 2, gates: null, run: RUN })).results;
}, 60_000);

const gates = (...lines: string[]) => parseGatesDocument({ gates: lines });

describe('fleet.* metrics', () => {
  it('parses fleet paths with units; they are in the catalogue (did-you-mean)', () => {
    expect(parseMetricPath('fleet.processes')?.info.unit).toBe('count');
    expect(parseMetricPath('fleet.weight_ratio')?.info.unit).toBe('ratio');
    expect(parseMetricPath('fleet.rest.weight_per_min.p99')?.path).toBe('fleet');
    expect(parseMetricPath('fleet.rest_l1_only.requests')?.path).toBe('fleet');
    expect(parseMetricPath('fleet.per_process.l2_hits.sum')?.path).toBe('fleet');
    expect(parseMetricPath('fleet.per_process.rest_weight.max')?.path).toBe('fleet');
    expect(parseMetricPath('fleet.rest.nope')).toBeUndefined();
    expect(parseMetricPath('fleet.per_process.gets.median')).toBeUndefined();
    expect(allMetricPaths()).toEqual(expect.arrayContaining(['fleet.processes', 'fleet.rest.weight_per_min.p99', 'fleet.per_process.errors.sum']));
  });

  it('reads the values the fleet section holds; per-process aggregates over the processes', () => {
    const f = fleet.fleet!;
    expect(readMetric(fleet, 'fleet', 'processes')).toBe(3);
    expect(readMetric(fleet, 'fleet', 'rest.weight_per_min.p99')).toBe(f.rest.weight_per_min.p99);
    expect(readMetric(fleet, 'fleet', 'rest_l1_only.requests')).toBe(f.rest_l1_only!.requests);
    expect(readMetric(fleet, 'fleet', 'weight_ratio')).toBe(f.weight_ratio);
    const w = f.per_process.map((p) => p.rest.weight);
    expect(readMetric(fleet, 'fleet', 'per_process.rest_weight.sum')).toBe(w.reduce((a, b) => a + b, 0));
    expect(readMetric(fleet, 'fleet', 'per_process.rest_weight.sum')).toBe(f.rest.weight);
    expect(readMetric(fleet, 'fleet', 'per_process.rest_weight.max')).toBe(Math.max(...w));
    expect(readMetric(fleet, 'fleet', 'per_process.rest_weight.min')).toBe(Math.min(...w));
    expect(readMetric(fleet, 'fleet', 'per_process.gets.mean')).toBeCloseTo(f.per_process.reduce((a, p) => a + p.gets, 0) / 3, 3);
    expect(readMetric(fleet, 'fleet', 'per_process.l2_hits.sum')).toBeGreaterThan(0);
    expect(readMetric(plain, 'fleet', 'processes')).toBeUndefined();
  });

  it('a gate on a fleet metric passes or fails on the run\'s figures', () => {
    const f = fleet.fleet!;
    const ev = evaluateGates(fleet, gates('fleet.processes == 3', `fleet.rest.weight_per_min.mean < ${f.rest_l1_only!.weight_per_min.mean}`, 'fleet.per_process.errors.sum == 0', 'fleet.weight_ratio <= 0.9'));
    expect(ev.gates.map((g) => g.status)).toEqual(['pass', 'pass', 'pass', 'pass']);
    expect(ev.verdict).toBe('pass');
    const bad = evaluateGates(fleet, gates(`fleet.rest.weight_per_min.mean < ${f.rest.weight_per_min.mean}`, 'fleet.processes > 3'));
    expect(bad.gates.map((g) => [g.status, g.value])).toEqual([
      ['fail', f.rest.weight_per_min.mean],
      ['fail', 3],
    ]);
    expect(bad.verdict).toBe('fail');
  });

  it('an unknown fleet metric is one clear problem with a suggestion', () => {
    const r = new Reader();
    readGates(r, ['fleet.rest.wieght < 100'], 'gates');
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.message).toMatch(/^'fleet\.rest\.wieght' is not a known metric \(did you mean 'fleet\.rest\.weight'\?\); valid: .*fleet\.\{rest,rest_l1_only\}/);
  });

  it('a fleet gate on a run without a fleet is a clear error (not a silent pass)', () => {
    expect(() => evaluateGates(plain, gates('fleet.processes == 1'))).toThrow(ConfigError);
    expect(() => evaluateGates(plain, gates('fleet.processes == 1'))).toThrow(/'fleet\.processes' is not in these results \(only fleet runs have fleet results: bench --processes N or a scenario fleet: block\)/);
    const noShared = { ...fleet, fleet: { ...fleet.fleet!, shared: null, per_process: fleet.fleet!.per_process.map(({ l2_hits: _a, lease_wins: _b, lease_waits: _c, shared_errors: _d, fallbacks: _e, ...p }) => p) } };
    expect(() => evaluateGates(noShared, gates('fleet.per_process.l2_hits.sum > 0'))).toThrow(/L2 and lease counters need a shared tier/);
  });

  it("'fleet' is a reserved arm name (it names the fleet's metrics)", () => {
    const r = new Reader();
    readArms(r, [{ name: 'fleet' }, { name: 'b' }], {});
    expect(r.problems.map((p) => p.message)).toContainEqual(expect.stringMatching(/^'fleet' is reserved; choose another arm name/));
  });
});
