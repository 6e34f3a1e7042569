/** Turns a prod.yaml into what a run needs: the scenario (with overrides) and the market feed. */
import type { MarketFeed } from '../market/feed.js';
import { openReplay } from '../market/jsonl.js';
import { UsageError } from '../core/errors.js';
import { loadBenchScenario, type BenchScenario } from '../sim/bench-scenario.js';
import type { ProdConfig } from './prod-config.js';

export interface ResolvedRun {
  bench: BenchScenario;
  seed: number;
  feed: MarketFeed | undefined;
}

export function resolveProdRun(cfg: ProdConfig): ResolvedRun {
  const src = cfg.source;
  if (src.type === 'binance') {
    throw new UsageError(`${cfg.file}: source.type binance runs on the network; use 'mdcache bench --source binance' (shadow/canary support the synthetic and replay sources)`);
  }
  const base = loadBenchScenario(src.scenario);
  const bench: BenchScenario = {
    scenario: cfg.gates ? { ...base.scenario, gates: cfg.gates } : base.scenario,
    pipeline: cfg.pipeline ?? base.pipeline,
    mdCache: cfg.md_cache,
    gates: cfg.gates ?? base.gates,
  };
  const feed = src.type === 'replay' ? openReplay(src.file) : undefined;
  return { bench, seed: src.seed ?? base.scenario.seed, feed };
}
