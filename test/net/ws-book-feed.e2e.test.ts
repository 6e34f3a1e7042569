/** policy ws_book over the network: the cache's books are the live WsBook's, kept from the loopback exchange's stream. */
import { describe, it, expect, afterEach } from 'vitest';
import { RealClock } from '../../src/core/clock.js';
import { startExchange, type Exchange } from '../../src/exchange/server.js';
import { mdCacheConfig } from '../../src/config/md-cache.js';
import { loadBenchScenario } from '../../src/sim/bench-scenario.js';
import { runBench } from '../../src/sim/bench.js';
import { connectLiveMarket } from '../../src/net/live-market.js';

const open: Exchange[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

describe('ws_book with --source binance', () => {
  it('serves the WS-maintained books: fresh, matching the stream, REST only for syncs', async () => {
    const bench = loadBenchScenario('baseline');
    const ex = await startExchange({ scenario: bench.scenario, clock: new RealClock() });
    open.push(ex);
    let market: Awaited<ReturnType<typeof connectLiveMarket>> | undefined;
    const ws = mdCacheConfig({ ...bench.mdCache, policy: 'ws_book' });
    const out = await runBench({
      bench: { ...bench, arms: [{ name: 'ws_book', mdCache: ws }] },
      durationMs: 3000,
      gates: null,
      run: { id: 't', command: 'test', version: '0', host: 'test' },
      market: async (clock) => (market = await connectLiveMarket({ restUrl: ex.restUrl, wsUrl: ex.wsUrl, symbols: ['BTCUSDT'], clock })),
    });
    const c = out.results.paths.cached.cache!;
    expect(out.results.paths.cached.ticks).toBeGreaterThan(8);
    expect(c.fresh_ratio).toBeGreaterThan(0.9);
    expect(c.tob_error_ticks.p50).toBe(0);
    expect(market!.restStats().cached.requests).toBe(0); // the arm never calls REST itself
    expect(ex.clientCount()).toBe(0);
  }, 30_000);
});
