import { describe, it, expect } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import { MDCache } from '../../src/cache/md-cache.js';
import { mdCacheConfig } from '../../src/config/md-cache.js';
import { loadScenario, createMarket, resolveSymbols } from '../../src/scenario/scenario.js';
import { createSimRestSource } from '../../src/market/rest.js';
import { MDCacheInvalidator, bookBest } from '../../src/market/invalidator.js';
import type { OrderBook } from '../../src/market/book.js';

async function hitRatio(scenario: string, seconds: number, useInvalidator = true) {
  const sc = loadScenario(scenario);
  const clock = new VirtualClock();
  const feed = createMarket(sc);
  const rest = createSimRestSource({ clock, market: feed, rest: sc.rest, seed: sc.seed, streamName: 'rest/cached' });
  const cfg = mdCacheConfig({ enabled: true, ttl_ms: 100 });
  const cache = new MDCache<OrderBook>(cfg, { clock, registry: null, refresh: (s, ctx) => rest.fetch(s, ctx.depth, ctx.signal) });
  const inv = new MDCacheInvalidator<OrderBook>({ cache, best: bookBest, wsGapMs: cfg.invalidate_on_ws_gap_ms, jumpTicks: cfg.jump_ticks, snapshot: (s) => feed.snapshot(s), symbols: resolveSymbols(sc).map((s) => s.symbol), startTime: 0 });
  if (useInvalidator) inv.attach(feed);
  const symbol = resolveSymbols(sc)[0]!.symbol;
  const pending: Promise<unknown>[] = [];
  for (let t = 0; t < seconds * 1000; t += 10) {
    feed.advanceTo(clock.now());
    if (useInvalidator) inv.check(clock.now());
    pending.push(cache.get(symbol).catch(() => undefined));
    await clock.advance(10);
  }
  await clock.runUntilIdle();
  await Promise.all(pending);
  cache.close();
  return { stats: cache.stats(), inv: inv.stats() };
}

describe('MDCacheInvalidator with the real MDCache', () => {
  it('flaky-ws is intense enough that a 100 ms-TTL cache hit ratio falls below 0.7; baseline stays high', async () => {
    const flaky = await hitRatio('flaky-ws', 120);
    expect(flaky.stats.hitRatio).toBeLessThan(0.7);
    for (const k of ['ws_gap', 'seq_gap', 'crossed'] as const) expect(flaky.inv[k]).toBeGreaterThan(0);
    expect(flaky.stats.invalidations.seq_gap).toBeGreaterThan(0);
    const base = await hitRatio('baseline', 30);
    expect(base.stats.hitRatio).toBeGreaterThan(0.7);
    console.log(`hit ratio: flaky-ws ${flaky.stats.hitRatio.toFixed(3)}, baseline ${base.stats.hitRatio.toFixed(3)}; invalidations flaky ${JSON.stringify(flaky.inv)} baseline ${JSON.stringify(base.inv)}`);
  }, 60_000);
});
