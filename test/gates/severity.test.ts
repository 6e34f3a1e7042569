import { describe, it, expect } from 'vitest';
import { Reader } from '../../src/config/reader.js';
import { evaluateGates } from '../../src/gates/evaluate.js';
import { DEFAULT_GATES, ERROR_DEFAULT_GATES, defaultGates, gateToYaml, gatesFromScenario, readGates } from '../../src/gates/spec.js';
import { parseMetricPath } from '../../src/gates/metrics.js';
import type { GateSpec } from '../../src/gates/types.js';
import { renderGateTable } from '../../src/report/terminal.js';
import { renderJUnit } from '../../src/report/junit.js';
import { ConfigError } from '../../src/core/errors.js';
import type { Results } from '../../src/results/types.js';
import { fixture } from './helpers.js';

describe('gate severity', () => {
  it('reads severity: error | warn (default error) and round-trips it', () => {
    const r = new Reader();
    const g = readGates(r, [{ metric: 'cached.cache.hit_ratio', op: '>=', value: 0.9, severity: 'warn' }, 'cached.tick_total_ms.p95 <= 130', { metric: 'cached.ticks', op: '>', value: 0, severity: 'error' }], 'gates')!;
    expect(r.ok).toBe(true);
    expect(g.map((x) => x.severity)).toEqual(['warn', undefined, undefined]);
    expect(gateToYaml(g[0]!)).toEqual({ severity: 'warn', metric: 'cached.cache.hit_ratio', op: '>=', value: 0.9 });
    expect(readGates(new Reader(), g.map(gateToYaml), 'g')).toEqual(g);
    const bad = new Reader();
    readGates(bad, [{ metric: 'cached.ticks', op: '>', value: 0, severity: 'warning' }], 'gates');
    expect(bad.problems.map((p) => `${p.path}: ${p.message}`)).toEqual(["gates[0].severity: 'warning' is not allowed (did you mean 'warn'?); use one of: error, warn"]);
  });

  it('a warn gate is evaluated and shown but never changes the verdict', () => {
    const pass = fixture('pass');
    const failingWarn: GateSpec = { name: 'impossible warning', severity: 'warn', kind: 'absolute', metric: 'cached.cache.hit_ratio', op: '>=', value: 0.999 };
    const ev = evaluateGates(pass, [...ERROR_DEFAULT_GATES, failingWarn]);
    expect(ev.verdict).toBe('pass');
    const w = ev.gates.find((g) => g.name === 'impossible warning')!;
    expect(w.status).toBe('fail');
    expect(w.severity).toBe('warn');
    expect(ev.gates.filter((g) => g.severity === undefined)).toHaveLength(4);
    // the same gate as an error decides
    expect(evaluateGates(pass, [...ERROR_DEFAULT_GATES, { ...failingWarn, severity: undefined }]).verdict).toBe('fail');
    const table = renderGateTable(ev, { color: false });
    expect(table).toContain('⚠ warn: fail');
    expect(table).toContain('impossible warning (warn)');
    expect(table).toContain('⚠ 1 warning(s) (warn gates do not change the verdict): impossible warning');
    expect(table).toContain('verdict: PASS');
    const xml = renderJUnit(pass, ev);
    expect(xml).toContain('failures="0" errors="0" skipped="1"');
    expect(xml).toMatch(/<skipped message="warning \(warn gate fail; does not change the verdict\): cached\.cache\.hit_ratio = /);
  });

  it('default set: the seed four (error) + tob_error p99 ≤ 2 ticks, REST weight/min max ≤ 50 % of budget, REST saving ≥ 50 % (warn)', () => {
    expect(DEFAULT_GATES.map((g) => [g.metric, g.op, g.value, g.severity ?? 'error'])).toEqual([
      ['cached.cache.hit_ratio', '>=', 0.7, 'error'],
      ['fetch_md_ms.p95', '>=', 20, 'error'],
      ['cached.tick_total_ms.p95', '<=', 130, 'error'],
      ['cached.deadline_miss_ratio', '<', 0.02, 'error'],
      ['cached.cache.tob_error_ticks.p99', '<=', 2, 'warn'],
      ['cached.rest.weight_per_min.max', '<=', 3000, 'warn'],
      ['cached.rest.saving', '>=', 0.5, 'warn'],
    ]);
    expect(defaultGates(1200)[5]!.value).toBe(600);
    expect(gatesFromScenario({ name: 'x', rest: { budget: { weight_per_min: 2000 } } })[5]).toMatchObject({ metric: 'cached.rest.weight_per_min.max', value: 1000 });
    // results written before REST cost was measured: the REST warnings are left out, the rest evaluated
    const old = structuredClone(fixture('pass')) as Results;
    delete old.paths.cached.rest;
    delete old.paths.uncached.rest;
    expect(evaluateGates(old).gates.map((g) => g.metric)).toEqual(['cached.cache.hit_ratio', 'uncached.fetch_md_ms.p95 − cached.fetch_md_ms.p95', 'cached.tick_total_ms.p95', 'cached.deadline_miss_ratio', 'cached.cache.tob_error_ticks.p99']);
  });
});

describe('shadow divergence metrics as gate metrics', () => {
  const withShadow = (): Results => {
    const r = structuredClone(fixture('pass')) as Results;
    const P = (v: number) => ({ p50: v, p90: v, p95: v, p99: v * 2, p999: v * 3, max: v * 4, mean: v, count: 100 });
    r.shadow = { compared: 1000, tob_mismatch_ratio: 0.72, depth_mismatch_ratio: 0.9, compared_depth: 10, tob_mismatch_ticks: P(1), depth_mismatch_levels: P(3), candidate_staleness_ms: P(170), worst: [] };
    return r;
  };

  it('parses shadow.* paths with units, and evaluates them', () => {
    expect(parseMetricPath('shadow.tob_mismatch_ratio')?.info.unit).toBe('ratio');
    expect(parseMetricPath('shadow.tob_mismatch_ticks.p99')?.info.unit).toBe('ticks');
    expect(parseMetricPath('shadow.candidate_staleness_ms.p50')?.info.unit).toBe('ms');
    expect(parseMetricPath('shadow.depth_mismatch_levels.max')?.info.unit).toBe('count');
    expect(parseMetricPath('shadow.nope')).toBeUndefined();
    const r = new Reader();
    const gates = readGates(r, ['shadow.tob_mismatch_ratio < 0.1', { metric: 'shadow.tob_mismatch_ticks.p99', op: '<=', value: 2, severity: 'warn' }, 'shadow.candidate_staleness_ms.p50 <= 200'], 'gates')!;
    expect(r.ok).toBe(true);
    const ev = evaluateGates(withShadow(), gates);
    expect(ev.gates.map((g) => [g.value, g.status])).toEqual([
      [0.72, 'fail'],
      [2, 'pass'],
      [170, 'pass'],
    ]);
    expect(ev.verdict).toBe('fail');
  });

  it('a shadow gate on a run without a shadow block is a config error naming why', () => {
    expect(() => evaluateGates(fixture('pass'), [{ kind: 'absolute', metric: 'shadow.tob_mismatch_ratio', op: '<', value: 0.1 }])).toThrow(ConfigError);
    expect(() => evaluateGates(fixture('pass'), [{ kind: 'absolute', metric: 'shadow.tob_mismatch_ratio', op: '<', value: 0.1 }])).toThrow(/only `mdcache shadow` runs have shadow divergence results/);
    const bad = new Reader();
    readGates(bad, ['shadow.tob_mismatch < 0.1'], 'gates');
    expect(bad.problems[0]!.message).toMatch(/did you mean 'shadow\.tob_mismatch_ratio'/);
  });
});
