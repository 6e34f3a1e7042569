/** Parameters of the synthetic market (resolved from a scenario's `market:` and `symbols:` blocks). */

export interface RangeMs {
  min_ms: number;
  max_ms: number;
}

export interface FaultParams {
  /** Delivered stream of a symbol stops for a while (connection stays up); ground truth continues. */
  ws_silence: { rate_hz: number } & RangeMs;
  /** The delivered stream drops `events` consecutive events (a sequence gap). */
  seq_gap: { rate_hz: number; events: number };
  /** Two consecutive events of a symbol are delivered swapped. */
  out_of_order: { rate_hz: number };
  /** The ground-truth mid jumps by exactly `ticks` ticks (random sign). */
  price_jump: { rate_hz: number; ticks: number };
  /** A delivered event carries a bid `ticks`−1 ticks above the best ask (crossed), corrected by the next one. */
  crossed: { rate_hz: number; ticks: number };
  /** The connection drops (all symbols) for a while, then a reconnect marker. Rate is for the connection. */
  disconnect: { rate_hz: number } & RangeMs;
}

export interface MarketParams {
  /** Mean rate of depth events per symbol (Hz), scaled by the symbol's `activity`. */
  update_rate_hz: number;
  /** Self-exciting arrivals: each event adds `alpha` Hz of intensity decaying at `beta` /s (alpha = 0: Poisson). */
  hawkes: { alpha: number; beta: number };
  /** Std dev of the mid move per event, in ticks (Gaussian, rounded to whole ticks). */
  diffusion_ticks: number;
  /** Merton jumps: Poisson rate per symbol; size exponential with mean `mean_ticks` (>= 1 tick), random sign. */
  jumps: { rate_hz: number; mean_ticks: number };
  spread: { min_ticks: number; typical_ticks: number; change_prob: number };
  depth: {
    /** Levels held per side by the ground truth (the REST snapshot returns at most this many). */
    levels: number;
    /** Mean quantity at the best level; quantity at distance i is base_qty·exp(−decay·i)·lognormal(noise). */
    base_qty: number;
    decay: number;
    noise: number;
    /** Mean number of level changes per event (>= 1). */
    changes_per_update: number;
    /** Mean distance from the best level of a changed level (exponential). */
    change_depth_mean: number;
    /** Probability that a changed (non-best) level is removed, or a new level is left empty. */
    hole_prob: number;
  };
  faults: FaultParams;
}

/** One symbol, resolved: instrument + per-symbol overrides. */
export interface SymbolParams {
  symbol: string;
  tick_size: string;
  /** Initial mid price (on the tick grid). */
  price: string;
  qty_decimals: number;
  /** Multiplies update_rate_hz (and jump rates) for this symbol. */
  activity: number;
  /** Overrides market.diffusion_ticks. */
  diffusion_ticks?: number;
  /** Overrides market.spread.typical_ticks. */
  typical_spread_ticks?: number;
}

export const FAULTS_OFF: FaultParams = {
  ws_silence: { rate_hz: 0, min_ms: 500, max_ms: 500 },
  seq_gap: { rate_hz: 0, events: 1 },
  out_of_order: { rate_hz: 0 },
  price_jump: { rate_hz: 0, ticks: 50 },
  crossed: { rate_hz: 0, ticks: 1 },
  disconnect: { rate_hz: 0, min_ms: 1000, max_ms: 1000 },
};

export const MARKET_DEFAULTS: MarketParams = {
  update_rate_hz: 10,
  hawkes: { alpha: 0, beta: 10 },
  diffusion_ticks: 0.5,
  jumps: { rate_hz: 0, mean_ticks: 10 },
  spread: { min_ticks: 1, typical_ticks: 1, change_prob: 0.1 },
  depth: { levels: 100, base_qty: 2, decay: 0.02, noise: 0.5, changes_per_update: 3, change_depth_mean: 5, hole_prob: 0.05 },
  faults: FAULTS_OFF,
};

/** Deep-merges a partial market block over the defaults (for library users who build params in code). */
export function marketParams(p: DeepPartial<MarketParams> = {}): MarketParams {
  const d = MARKET_DEFAULTS;
  const f = p.faults ?? {};
  return {
    update_rate_hz: p.update_rate_hz ?? d.update_rate_hz,
    hawkes: { ...d.hawkes, ...p.hawkes },
    diffusion_ticks: p.diffusion_ticks ?? d.diffusion_ticks,
    jumps: { ...d.jumps, ...p.jumps },
    spread: { ...d.spread, ...p.spread },
    depth: { ...d.depth, ...p.depth },
    faults: {
      ws_silence: { ...d.faults.ws_silence, ...f.ws_silence },
      seq_gap: { ...d.faults.seq_gap, ...f.seq_gap },
      out_of_order: { ...d.faults.out_of_order, ...f.out_of_order },
      price_jump: { ...d.faults.price_jump, ...f.price_jump },
      crossed: { ...d.faults.crossed, ...f.crossed },
      disconnect: { ...d.faults.disconnect, ...f.disconnect },
    },
  };
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };
