/**
 * What REST snapshots cost at the venue: the request weight of a depth snapshot by the `limit` asked for
 * (Binance spot `GET /api/v3/depth`: 1–100 → 5, 101–500 → 25, 501–1000 → 50, 1001–5000 → 250), the
 * budget a client has (6,000 weight per minute per IP on Binance spot), and the optional enforcement of a
 * rate limit (see WeightLimiter in ./rate-limit.ts). Pure.
 */

/** One step of a weight schedule: requests with `limit <= max_limit` (and above the previous step) cost `weight`. */
export interface RestWeightStep {
  max_limit: number;
  weight: number;
}

/** Binance spot `GET /api/v3/depth` weights by `limit`. */
export const BINANCE_DEPTH_WEIGHTS: readonly RestWeightStep[] = Object.freeze([
  { max_limit: 100, weight: 5 },
  { max_limit: 500, weight: 25 },
  { max_limit: 1000, weight: 50 },
  { max_limit: 5000, weight: 250 },
]);

/** Binance spot's documented REQUEST_WEIGHT limit per minute per IP. */
export const DEFAULT_WEIGHT_BUDGET_PER_MIN = 6000;

export interface RestCostParams {
  /** The weight a client may spend per minute (reported and gated against; not enforced). */
  budget: { weight_per_min: number };
  /** Weight schedule by requested `limit`, ascending. */
  weights: RestWeightStep[];
  /** When set, the simulated REST endpoint enforces this limit (429, then 418 bans). */
  rate_limit: RateLimitParams | null;
}

export interface RateLimitParams {
  /** Weight allowed in any rolling minute. */
  weight_per_min: number;
}

export const REST_COST_DEFAULTS: RestCostParams = {
  budget: { weight_per_min: DEFAULT_WEIGHT_BUDGET_PER_MIN },
  weights: BINANCE_DEPTH_WEIGHTS.map((s) => ({ ...s })),
  rate_limit: null,
};

/** `limit` values the depth endpoint accepts. */
export const DEPTH_LIMITS = [5, 10, 20, 50, 100, 500, 1000, 5000] as const;

/** The smallest allowed `limit` that covers `depth` levels (5000 at most) — what a client requests. */
export function depthLimit(depth: number): number {
  for (const l of DEPTH_LIMITS) if (l >= depth) return l;
  return 5000;
}

/** The weight of one request with this `limit` (a limit beyond the last step costs the last step's weight). */
export function requestWeight(limit: number, weights: readonly RestWeightStep[] = BINANCE_DEPTH_WEIGHTS): number {
  for (const s of weights) if (limit <= s.max_limit) return s.weight;
  return weights.length > 0 ? weights[weights.length - 1]!.weight : 0;
}
