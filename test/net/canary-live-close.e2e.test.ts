/**
 * Canary on a live source (issue #15 item 20): a step that throws must not leak the live WebSocket — the
 * connection to the exchange is closed whatever happens in the steps.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { RealClock } from '../../src/core/clock.js';
import { startExchange, type Exchange } from '../../src/exchange/server.js';
import { loadScenario } from '../../src/scenario/scenario.js';
import { parseProdConfig } from '../../src/ops/prod-config.js';
import { runCanary } from '../../src/ops/canary.js';
import { feedOf, waitFor } from './helpers.js';

const open: Exchange[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

describe('canary over a live source', () => {
  it('closes the live WebSocket when a step throws', async () => {
    const ex = await startExchange({ scenario: loadScenario('baseline'), clock: new RealClock() });
    open.push(ex);
    const config = parseProdConfig({ source: { type: 'binance', rest_url: ex.restUrl, ws_url: ex.wsUrl, symbols: ['BTCUSDT'], scenario: 'baseline' }, canary: { window: '1s' } });
    let progressed = 0;
    const run = runCanary({
      config,
      steps: [50, 100],
      stepDurationMs: 5000,
      run: { id: 't', command: 'test', version: '0', host: 'h' },
      onProgress: () => {
        if (++progressed > 2) throw new Error('a step failed');
      },
    });
    await waitFor(() => ex.clientCount() === 1, 'the live WebSocket connected', [feedOf(ex)], 15_000);
    await expect(run).rejects.toThrow('a step failed');
    await waitFor(() => ex.clientCount() === 0, 'the live WebSocket closed', [feedOf(ex)], 5000);
  }, 30_000);
});
