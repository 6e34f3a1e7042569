/**
 * #14: the REST weight on /metrics (mm_md_rest_*) is the REST cost the run measures: a virtual-time shadow run's
 * scraped counters equal results.json's per-path REST figures; the budget gauge is the scenario's; the venue's
 * used weight is absent until reported and labelled by venue once it is.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { exposeRestMetrics, REST_METRIC_NAMES } from '../../src/metrics/rest-metrics.js';
import { parseProdConfig } from '../../src/ops/prod-config.js';
import { runShadow } from '../../src/ops/shadow.js';
import { RestMeter } from '../../src/sim/rest-meter.js';

/** `name{labels} value` lines of an exposition → map of "name{labels}" → value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of text.split('\n')) {
    const m = /^(mm_md_rest_\w+(?:\{[^}]*\})?) (\S+)$/.exec(l);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

describe('REST weight metrics', () => {
  it('a shadow run exposes the REST weight, requests and throttling it reports, per path, and the budget', async () => {
    const registry = new Registry();
    const config = parseProdConfig({ source: { type: 'synthetic', scenario: 'flaky-ws' }, shadow: { duration: '20s', window: '5s' } }, 'prod.yaml');
    const { results } = await runShadow({ config, registry, run: { id: 't', command: 't', version: '0', host: 'h' } });
    const s = samples(await registry.metrics());
    for (const path of ['uncached', 'cached'] as const) {
      const rest = results.paths[path].rest!;
      expect(rest.weight).toBeGreaterThan(0);
      // The counters count every request sent, including refreshes sent as the run stops (past its last
      // window), which results.json leaves out: at most one per symbol, each of weight 5 (limit 100).
      const extra = s.get(`${REST_METRIC_NAMES.requests}{path="${path}"}`)! - rest.requests;
      expect(extra).toBeGreaterThanOrEqual(0);
      expect(extra).toBeLessThanOrEqual(results.scenario.symbol_count as number);
      expect(s.get(`${REST_METRIC_NAMES.weight}{path="${path}"}`)).toBe(rest.weight + 5 * extra);
      expect(s.get(`${REST_METRIC_NAMES.throttled}{path="${path}"}`)).toBe(rest.throttled);
    }
    expect(s.get(REST_METRIC_NAMES.budget)).toBe(6000);
    expect([...s.keys()].some((k) => k.startsWith(REST_METRIC_NAMES.usedWeight))).toBe(false); // a simulated venue reports none
  });

  it('reads the meters at scrape time; the venue-reported used weight appears once reported; a second run replaces the first', async () => {
    const registry = new Registry();
    const meter = new RestMeter(1000);
    let used: { venue: string; weight: number } | undefined;
    exposeRestMetrics(registry, { paths: { cached: meter }, budgetPerMin: 1200, usedWeight1m: () => used });
    meter.sent(0, 100); // limit 100 → weight 5
    meter.sent(10, 1000); // limit 1000 → weight 50
    meter.throttledAt(20);
    let s = samples(await registry.metrics());
    expect([s.get('mm_md_rest_weight_total{path="cached"}'), s.get('mm_md_rest_requests_total{path="cached"}'), s.get('mm_md_rest_throttled_total{path="cached"}'), s.get('mm_md_rest_weight_budget_per_min')]).toEqual([55, 2, 1, 1200]);
    expect(s.has('mm_md_rest_used_weight_1m{venue="http://x"}')).toBe(false);
    used = { venue: 'http://x', weight: 731 };
    s = samples(await registry.metrics());
    expect(s.get('mm_md_rest_used_weight_1m{venue="http://x"}')).toBe(731);
    exposeRestMetrics(registry, { paths: { uncached: new RestMeter(1000) }, budgetPerMin: 6000 });
    s = samples(await registry.metrics());
    expect(s.get('mm_md_rest_weight_total{path="uncached"}')).toBe(0);
    expect(s.has('mm_md_rest_weight_total{path="cached"}')).toBe(false);
  });
});
