/**
 * The REST cost keys of a scenario's (or prod.yaml's) `rest:` block, validated with the all-problems
 * Reader: `budget: { weight_per_min }`, `weights: [{ max_limit, weight }, ...]` and
 * `rate_limit: { weight_per_min }`.
 */
import { join, type Obj, type Reader } from '../config/reader.js';
import { REST_COST_DEFAULTS, type RateLimitParams, type RestCostParams, type RestWeightStep } from '../market/rest-cost.js';

export const REST_COST_KEYS = ['budget', 'weights', 'rate_limit'] as const;

const MAX_WEIGHT_PER_MIN = 100_000_000;

function readBudget(r: Reader, o: Obj | undefined, path: string): RestCostParams['budget'] {
  const p = join(path, 'budget');
  const b = r.object(o?.budget, p);
  if (b) r.unknownKeys(b, p, ['weight_per_min']);
  return { weight_per_min: r.number(b, 'weight_per_min', p, REST_COST_DEFAULTS.budget.weight_per_min, { gt: 0, max: MAX_WEIGHT_PER_MIN }) };
}

function readWeights(r: Reader, o: Obj | undefined, path: string): RestWeightStep[] {
  const p = join(path, 'weights');
  const def = REST_COST_DEFAULTS.weights.map((s) => ({ ...s }));
  const list = r.list(o?.weights, p);
  if (!list) return def;
  if (list.length === 0) {
    r.add(p, 'needs at least one step, e.g. [{ max_limit: 100, weight: 5 }, { max_limit: 5000, weight: 250 }]');
    return def;
  }
  const out: RestWeightStep[] = [];
  const before = r.problems.length;
  list.forEach((item, i) => {
    const ip = join(p, i);
    const s = r.object(item, ip);
    if (!s) return;
    r.unknownKeys(s, ip, ['max_limit', 'weight']);
    if (s.max_limit === undefined) r.add(join(ip, 'max_limit'), 'missing; the largest `limit` this weight applies to, e.g. 100');
    if (s.weight === undefined) r.add(join(ip, 'weight'), 'missing; the request weight, e.g. 5');
    const max_limit = r.number(s, 'max_limit', ip, 0, { integer: true, min: 1, max: 1_000_000 });
    const weight = r.number(s, 'weight', ip, 0, { min: 0, max: 1_000_000 });
    const prev = out[out.length - 1];
    if (prev && max_limit > 0 && max_limit <= prev.max_limit) r.add(join(ip, 'max_limit'), `${max_limit} must be greater than the previous step's max_limit (${prev.max_limit}); list steps in ascending order`);
    out.push({ max_limit, weight });
  });
  return r.problems.length > before ? def : out;
}

function readRateLimit(r: Reader, o: Obj | undefined, path: string): RateLimitParams | null {
  const p = join(path, 'rate_limit');
  const v = o?.rate_limit;
  if (v === undefined || v === null || v === false) return null;
  const rl = r.object(v, p);
  if (!rl) return null;
  r.unknownKeys(rl, p, ['weight_per_min']);
  const allowed = `a weight per rolling minute > 0 and ≤ ${MAX_WEIGHT_PER_MIN}, e.g. 6000 (Binance spot's REQUEST_WEIGHT per IP)`;
  const v2 = rl.weight_per_min;
  if (v2 === undefined || v2 === null) {
    r.add(join(p, 'weight_per_min'), `missing; ${allowed}`);
    return null;
  }
  if (typeof v2 !== 'number' || !Number.isFinite(v2) || !(v2 > 0) || v2 > MAX_WEIGHT_PER_MIN) {
    r.add(join(p, 'weight_per_min'), `invalid value ${typeof v2 === 'string' ? `'${v2}'` : JSON.stringify(v2) ?? String(v2)}; expected ${allowed}`);
    return null;
  }
  // Enforced by the simulated REST endpoint and the loopback exchange (src/market/rate-limit.ts): a rolling
  // minute of weight, 429 with Retry-After once exceeded, 418 bans for a client that keeps sending.
  return { weight_per_min: v2 };
}

/** Reads the REST cost keys of a `rest:` mapping at `path` (defaults for absent keys). */
export function readRestCost(r: Reader, o: Obj | undefined, path: string): RestCostParams {
  return { budget: readBudget(r, o, path), weights: readWeights(r, o, path), rate_limit: readRateLimit(r, o, path) };
}
