import { describe, it, expect } from 'vitest';
import { ConfigError, formatProblem } from '../../src/core/errors.js';
import { PIPELINE_DEFAULTS } from '../../src/pipeline/config.js';
import { parseBenchScenario } from '../../src/sim/bench-scenario.js';

const BASE = {
  name: 't',
  seed: 3,
  symbols: [{ symbol: 'BTCUSDT', tick_size: '0.01', price: '65000.00' }],
};

function problems(extra: Record<string, unknown>): string[] {
  try {
    parseBenchScenario({ ...BASE, ...extra }, 'test.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).source).toBe('test.yaml');
    return (err as ConfigError).problems.map(formatProblem);
  }
  throw new Error('expected a ConfigError');
}

describe('readPipeline (through parseBenchScenario)', () => {
  it('no pipeline block → the defaults; the cached path caches by default', () => {
    const b = parseBenchScenario(BASE);
    expect(b.pipeline).toEqual(PIPELINE_DEFAULTS);
    expect(b.mdCache.enabled).toBe(true);
    expect(b.gates).toBeUndefined();
  });

  it('reads a valid block, filling in unspecified keys', () => {
    const b = parseBenchScenario({
      ...BASE,
      pipeline: {
        ticks: { arrival: 'jitter', rate_hz: 5 },
        stages: [
          { name: 'compute_quotes', latency: { model: 'lognormal', p50_ms: 55, p95_ms: 85 } },
          { name: 'place_orders', latency: { model: 'constant', ms: 3 } },
        ],
        on_busy: 'drop',
      },
    });
    expect(b.pipeline).toEqual({
      ticks: { arrival: 'jitter', rate_hz: 5, jitter_pct: 10 },
      stages: [
        { name: 'compute_quotes', latency: { model: 'lognormal', p50_ms: 55, p95_ms: 85 } },
        { name: 'place_orders', latency: { model: 'constant', ms: 3 } },
      ],
      deadline_ms: 200,
      on_busy: 'drop',
    });
  });

  it('reports every problem at once, each naming its path', () => {
    const ps = problems({
      pipeline: {
        ticks: { arrival: 'poison', rate_hz: 0, jitter_pct: 150 },
        stages: [
          { name: 'compute', latency: { model: 'constant', ms: 5 } },
          { name: 'compute', latency: { model: 'constant', ms: 5 } },
          { name: 'fetch_md', latency: { model: 'constant', ms: 5 } },
          { name: 'tick_total', latency: { model: 'constant', ms: 5 } },
          { latency: { model: 'constant', ms: 5 } },
          { name: 'no_latency' },
          { name: 'Bad Name', latency: { model: 'constant', ms: 5 } },
          null,
          { name: 'typo', latncy: { model: 'constant', ms: 1 }, latency: { model: 'lognormal', p50_ms: 5 } },
        ],
        deadline_ms: 0,
        on_busy: 'skip',
        extra: 1,
      },
    });
    expect(ps).toEqual([
      "pipeline.extra: unknown key; allowed: ticks, stages, deadline_ms, on_busy",
      "pipeline.ticks.arrival: 'poison' is not allowed (did you mean 'poisson'?); use one of: fixed, jitter, poisson",
      'pipeline.ticks.rate_hz: 0 is out of range [0.001, 10000]',
      'pipeline.ticks.jitter_pct: 150 is out of range [0, 100]',
      "pipeline.stages[1].name: 'compute' is used by an earlier stage; names must be unique",
      "pipeline.stages[2].name: 'fetch_md' is reserved; choose another name",
      "pipeline.stages[3].name: 'tick_total' is reserved; choose another name",
      'pipeline.stages[4].name: is required (a stage name such as compute_quotes)',
      'pipeline.stages[5].latency: is required, e.g. { model: lognormal, p50_ms: 40, p95_ms: 70 }',
      "pipeline.stages[6].name: 'Bad Name' must be snake_case (a-z, 0-9, _)",
      'pipeline.stages[7]: expected a stage { name, latency }',
      "pipeline.stages[8].latncy: unknown key (did you mean 'latency'?); allowed: name, latency",
      'pipeline.stages[8].latency.p95_ms: missing',
      'pipeline.deadline_ms: 0 is out of range [1, 600000]',
      "pipeline.on_busy: 'skip' is not allowed; use one of: queue, drop",
    ]);
  });

  it('problems in pipeline, md_cache, gates and the market come back together', () => {
    const ps = problems({
      market: { update_rate_hz: -1 },
      pipeline: { ticks: { arrival: 'fixd' }, stages: 'compute' },
      md_cache: { ttl_ms: 1 },
      gates: [{ metric: 'cached.nope', op: '<', value: 1 }],
    });
    expect(ps.some((p) => p.startsWith('market.update_rate_hz: '))).toBe(true);
    expect(ps).toContain("pipeline.ticks.arrival: 'fixd' is not allowed (did you mean 'fixed'?); use one of: fixed, jitter, poisson");
    expect(ps).toContain("pipeline.stages: expected a list, got 'compute'");
    expect(ps).toContain('md_cache.ttl_ms: 1 is out of range [10, 5000]');
    expect(ps.some((p) => p.startsWith("gates[0].metric: 'cached.nope' is not a known metric"))).toBe(true);
  });

  it('wrong shapes: pipeline and ticks must be mappings', () => {
    expect(problems({ pipeline: [1] })).toEqual(['pipeline: expected a mapping, got a list']);
    expect(problems({ pipeline: { ticks: 'poisson' } })).toEqual(["pipeline.ticks: expected a mapping, got 'poisson'"]);
    expect(problems({ pipeline: { ticks: { rate: 5 } } })).toEqual(["pipeline.ticks.rate: unknown key (did you mean 'rate_hz'?); allowed: arrival, rate_hz, jitter_pct"]);
  });

  it('the shipped scenarios all parse with a pipeline', async () => {
    const { loadBenchScenario } = await import('../../src/sim/bench-scenario.js');
    for (const name of ['baseline', 'cold-cache', 'flaky-ws', 'many-symbols', 'volatile']) {
      const b = loadBenchScenario(name);
      expect(b.pipeline.stages.map((s) => s.name)).toEqual(['compute_quotes', 'risk_check', 'place_orders']);
      expect(b.pipeline.deadline_ms).toBe(200);
    }
  });
});
