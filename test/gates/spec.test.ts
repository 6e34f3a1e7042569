import { describe, expect, it } from 'vitest';
import { Reader } from '../../src/config/reader.js';
import { ConfigError } from '../../src/core/errors.js';
import { parseYaml } from '../../src/config/load.js';
import { DEFAULT_GATES, ROLLBACK_GATES, gateName, gateToYaml, gatesFromScenario, parseGatesDocument, readGates } from '../../src/gates/spec.js';

function parse(yaml: string) {
  return parseGatesDocument(parseYaml(yaml, 'test.yaml'), 'test.yaml');
}

function problems(yaml: string): string[] {
  try {
    parse(yaml);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('gates YAML', () => {
  it('reads the absolute, relative and shorthand forms', () => {
    const g = parse(`
gates:
  - { metric: cached.fetch_md_ms.p95, op: "<=", value: 35 }
  - { name: cache pays off, metric: fetch_md_ms.p95, improvement_ms: { op: ">=", value: 20 } }
  - { metric: fetch_md_ms.p95, regression_pct: { op: "<=", value: 15 } }
  - cached.tick_total_ms.p95 <= 130
  - metric: cached.cache.invalidations.ws_gap
    op: "<"
    value: 1000
  - { metric: uncached.stages.decide.p99, op: "!=", value: 0 }
`);
    expect(g).toEqual([
      { kind: 'absolute', metric: 'cached.fetch_md_ms.p95', op: '<=', value: 35 },
      { kind: 'improvement_ms', metric: 'fetch_md_ms.p95', op: '>=', value: 20, name: 'cache pays off' },
      { kind: 'regression_pct', metric: 'fetch_md_ms.p95', op: '<=', value: 15 },
      { kind: 'absolute', metric: 'cached.tick_total_ms.p95', op: '<=', value: 130 },
      { kind: 'absolute', metric: 'cached.cache.invalidations.ws_gap', op: '<', value: 1000 },
      { kind: 'absolute', metric: 'uncached.stages.decide.p99', op: '!=', value: 0 },
    ]);
    expect(g.map(gateName)).toEqual([
      'cached.fetch_md_ms.p95 <= 35',
      'cache pays off',
      'fetch_md_ms.p95 regression <= 15 %',
      'cached.tick_total_ms.p95 <= 130',
      'cached.cache.invalidations.ws_gap < 1000',
      'uncached.stages.decide.p99 != 0',
    ]);
  });

  it('reports every problem at once: unknown metric (with the valid list), bad op, missing value', () => {
    const p = problems(`
gates:
  - { metric: cached.fetch_md_ms.p95, op: "<=", value: 35 }
  - { metric: cached.fetch_md.p95, op: "<=", value: 35 }
  - { metric: cached.cache.foo, op: "=<", value: 1 }
  - { metric: cached.deadline_miss_ratio, op: "<" }
  - { metric: fetch_md_ms.p95, improvement_ms: { op: ">>", value: "20" } }
`);
    expect(p).toHaveLength(6);
    expect(p[0]).toMatch(/^gates\[1\]\.metric: 'cached\.fetch_md\.p95' is not a known metric \(did you mean 'cached\.fetch_md_ms\.p95'\?\); valid: \{uncached,cached\}\.\{fetch_md_ms,tick_total_ms\}\.\{p50,p90,p95,p99,p999,max,mean,count\}, /);
    expect(p[0]).toContain('cached.cache.{hit_ratio,fresh_ratio,stale_ratio,miss_ratio,gets,refreshes,refreshes_per_tick,refresh_failures,evictions}');
    expect(p[0]).toContain('cached.cache.{staleness_ms,tob_error_ticks,refresh_latency_ms}');
    expect(p[1]).toMatch(/^gates\[2\]\.metric: 'cached\.cache\.foo' is not a known metric/);
    expect(p[2]).toBe("gates[2].op: '=<' is not allowed (did you mean '<='?); use one of: <, <=, >, >=, ==, !=");
    expect(p[3]).toBe('gates[3].value: missing; a number is required');
    expect(p.slice(4).join('\n')).toMatch(/gates\[4\]\.improvement_ms\.op: '>>' is not allowed/);
  });

  it('also reports the value type and both problems of one gate', () => {
    const p = problems(`gates:\n  - { metric: fetch_md_ms.p95, improvement_ms: { op: ">>", value: "20" } }\n`);
    expect(p).toEqual([expect.stringMatching(/^gates\[0\]\.improvement_ms\.op: '>>' is not allowed/), "gates[0].improvement_ms.value: expected a number, got '20'"]);
  });

  it('explains path mistakes', () => {
    const p = problems(`
gates:
  - { metric: fetch_md_ms.p95, op: "<=", value: 35 }
  - { metric: cached.fetch_md_ms.p95, improvement_ms: { op: ">=", value: 20 } }
  - { metric: uncached.cache.hit_ratio, op: ">=", value: 0.7 }
  - { metric: deadline_miss_ratio, improvement_ms: { op: ">=", value: 0.01 } }
  - { metric: cache.hit_ratio, regression_pct: { op: "<=", value: 5 } }
  - { metric: cached.ticks, op: ">", value: 1, improvement_ms: { op: ">", value: 1 } }
  - { metric: cached.ticks, opp: ">", value: 1 }
  - 42
  - "cached.ticks about 5"
`);
    expect(p).toEqual([
      "gates[0].metric: 'fetch_md_ms.p95' needs a path: cached.fetch_md_ms.p95 or uncached.fetch_md_ms.p95 (or compare the paths with improvement_ms / regression_pct)",
      "gates[1].metric: 'cached.fetch_md_ms.p95': an improvement_ms gate compares both paths, so name the metric without the path: 'fetch_md_ms.p95'",
      "gates[2].metric: 'uncached.cache.hit_ratio': the uncached path has no cache metrics; use cached.cache.hit_ratio",
      "gates[3].metric: 'deadline_miss_ratio' is not a latency in ms; improvement_ms needs one (e.g. fetch_md_ms.p95); use regression_pct for other metrics",
      expect.stringMatching(/^gates\[4\]\.metric: 'cache\.hit_ratio' is not a metric both paths have; valid in regression_pct: /),
      'gates[5]: op and value go inside improvement_ms: { op: ..., value: ... }, not beside it',
      "gates[5].metric: 'cached.ticks': an improvement_ms gate compares both paths, so name the metric without the path: 'ticks'",
      expect.stringMatching(/^gates\[6\]\.opp: unknown key \(did you mean 'op'\?\)/),
      'gates[6].op: missing; use one of: < <= > >= == !=',
      'gates[7]: expected a mapping { metric, op, value } or a string \'<metric> <op> <number>\', got 42',
      expect.stringMatching(/^gates\[8\]: 'cached\.ticks about 5' is not a gate/),
    ]);
  });

  it('requires a gates: list in a gates file and accepts other top-level keys (a scenario)', () => {
    expect(problems('name: x\n')).toEqual(["gates: missing; the file must hold a top-level 'gates:' list"]);
    expect(problems('gates: 5\n')).toEqual(['gates: expected a list, got 5']);
    expect(parse('name: steady\nseed: 1\ngates: [{ metric: cached.cache.hit_ratio, op: ">=", value: 0.5 }]\n')).toHaveLength(1);
  });

  it('an empty gates: list is refused (it would pass with nothing checked); gates: null is a missing list', () => {
    expect(problems('gates: []\n')).toEqual(['gates: is empty: no gate would be checked; omit it for the default gates, or run with --no-gate to evaluate none']);
    expect(problems('gates:\n')).toEqual(["gates: missing; the file must hold a top-level 'gates:' list"]);
    const r = new Reader();
    expect(readGates(r, [], 'canary.rollback_gates', [], { allowEmpty: true })).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it('readGates works inside another loader (Reader shared) and returns undefined when absent', () => {
    const r = new Reader();
    expect(readGates(r, undefined, 'scenario.gates')).toBeUndefined();
    readGates(r, [{ metric: 'cached.nope', op: '<', value: 1 }], 'scenario.gates');
    expect(r.problems[0]!.path).toBe('scenario.gates[0].metric');
  });

  it('round-trips the resolved form and uses scenario gates when present', () => {
    const r = new Reader();
    const back = readGates(r, [...DEFAULT_GATES, ...ROLLBACK_GATES].map(gateToYaml), 'g');
    expect(r.problems).toEqual([]);
    expect(back).toEqual([...DEFAULT_GATES, ...ROLLBACK_GATES]);
    const resolved = readGates(r, DEFAULT_GATES.map((g) => ({ ...g })), 'g');
    expect(resolved).toEqual([...DEFAULT_GATES]);
    expect(gatesFromScenario({ name: 'x' })).toEqual(DEFAULT_GATES);
    expect(gatesFromScenario({ gates: ['cached.ticks > 5'] })).toEqual([{ kind: 'absolute', metric: 'cached.ticks', op: '>', value: 5 }]);
    expect(() => gatesFromScenario({ gates: ['cached.nope > 5'] })).toThrow(ConfigError);
  });
});
