/**
 * #14: a live shadow run (source: binance, the loopback exchange over real sockets) exposes its REST weight on
 * the registry /metrics serves, and the used weight the exchange reports in X-MBX-USED-WEIGHT-1M.
 */
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { RealClock } from '../../src/core/clock.js';
import { startExchange, type Exchange } from '../../src/exchange/server.js';
import { parseProdConfig } from '../../src/ops/prod-config.js';
import { runShadow } from '../../src/ops/shadow.js';
import { loadScenario } from '../../src/scenario/scenario.js';

const open: Exchange[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('REST weight metrics on a live run', () => {
  it('counts the weight each path sends and shows the venue-reported used weight of the rolling minute', async () => {
    const ex = await startExchange({ scenario: loadScenario('baseline'), clock: new RealClock() });
    open.push(ex);
    const config = parseProdConfig({ source: { type: 'binance', rest_url: ex.restUrl, ws_url: ex.wsUrl, symbols: ['BTCUSDT'], scenario: 'baseline' }, shadow: { duration: '3s', window: '1s' } }, 'prod.yaml');
    const registry = new Registry();
    const { results } = await runShadow({ config, registry, durationMs: 3000, realtime: true, run: { id: 't', command: 't', version: '0', host: 'h' } });
    const text = await registry.metrics();
    for (const path of ['uncached', 'cached'] as const) {
      const w = sample(text, `mm_md_rest_weight_total{path="${path}"}`)!;
      expect(w).toBeGreaterThanOrEqual(results.paths[path].rest!.weight);
      expect(w).toBeGreaterThan(0);
    }
    // every response of the exchange carries the client's used weight of its rolling minute (the whole IP:
    // both paths, the WebSocket book's snapshots and exchangeInfo, weight 20)
    const used = sample(text, `mm_md_rest_used_weight_1m{venue="${ex.restUrl}"}`);
    expect(used).toBeGreaterThanOrEqual(20);
    expect(sample(text, 'mm_md_rest_weight_budget_per_min')).toBe(6000);
  });
});
