/** Turns a prod.yaml into what a run needs: the scenario (with overrides) and the market feed. */
import type { Clock } from '../core/clock.js';
import type { MarketFeed } from '../market/feed.js';
import { binanceMarketFactory } from '../net/bench-source.js';
import type { LiveMarket } from '../net/live-market.js';
import { openReplay } from '../market/jsonl.js';
import { loadBenchScenario, type BenchScenario } from '../sim/bench-scenario.js';
import type { ProdConfig } from './prod-config.js';

export interface ResolvedRun {
  bench: BenchScenario;
  seed: number;
  feed: MarketFeed | undefined;
  /** For `source.type: binance`: connects to the exchange (real time; the run starts once books synced). */
  market: ((hostClock: Clock) => Promise<LiveMarket>) | undefined;
}

export function resolveProdRun(cfg: ProdConfig): ResolvedRun {
  const src = cfg.source;
  const base = loadBenchScenario(src.scenario);
  const bench: BenchScenario = {
    scenario: { ...base.scenario, ...(cfg.gates ? { gates: cfg.gates } : {}), rest: { ...base.scenario.rest, ...(cfg.rest ?? {}) } },
    pipeline: cfg.pipeline ?? base.pipeline,
    mdCache: cfg.md_cache,
    gates: cfg.gates ?? base.gates,
  };
  const feed = src.type === 'replay' ? openReplay(src.file) : undefined;
  const market =
    src.type === 'binance'
      ? binanceMarketFactory({ restUrl: src.rest_url, wsUrl: src.ws_url, symbols: src.symbols, restTimeoutMs: bench.scenario.rest.timeout_ms, silenceMs: bench.mdCache.invalidate_on_ws_gap_ms })
      : undefined;
  return { bench, seed: src.type === 'binance' ? base.scenario.seed : src.seed ?? base.scenario.seed, feed, market };
}
