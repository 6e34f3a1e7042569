/**
 * Latency models (REST snapshot latency, pipeline stages): a spec validated with the Reader, a sampler on a
 * seeded Rng stream, and the analytical CDF/quantile of each model.
 *
 *   constant  { ms }
 *   uniform   { min_ms, max_ms }
 *   lognormal { p50_ms, p95_ms }   fitted exactly: mu = ln p50, sigma = (ln p95 − ln p50) / z(0.95)
 *   mixture   { components: [{ weight, model, ... }] }   weights are normalised to sum 1
 */
import { normalCdf, normalQuantile } from '../core/normal.js';
import type { Rng } from '../core/rng.js';
import { Reader, join, show, type Obj } from '../config/reader.js';

export type LatencySpec =
  | { model: 'constant'; ms: number }
  | { model: 'uniform'; min_ms: number; max_ms: number }
  | { model: 'lognormal'; p50_ms: number; p95_ms: number }
  | { model: 'mixture'; components: Array<{ weight: number } & LatencySpec> };

export const LATENCY_MODELS = ['constant', 'uniform', 'lognormal', 'mixture'] as const;

/** z such that Φ(z) = 0.95. */
export const Z95 = 1.6448536269514722;

const MAX_MS = 3_600_000;

/** Reads a latency spec at `path`; every problem goes to `r`. Returns a usable default when invalid. */
export function readLatency(r: Reader, raw: unknown, path: string, def: LatencySpec = { model: 'constant', ms: 0 }, nested = 0): LatencySpec {
  if (raw === undefined || raw === null) return def;
  const o = r.object(raw, path);
  if (!o) return def;
  const allowedModel = nested > 0 ? (['constant', 'uniform', 'lognormal'] as const) : LATENCY_MODELS;
  if (o.model === undefined) {
    r.add(join(path, 'model'), `missing; use one of: ${allowedModel.join(', ')}`);
    return def;
  }
  const model = r.oneOf(o, 'model', path, allowedModel as readonly string[], '__bad__');
  const extra = nested > 0 ? ['weight'] : [];
  switch (model) {
    case 'constant': {
      r.unknownKeys(o, path, ['model', 'ms', ...extra]);
      requireKeys(r, o, path, ['ms']);
      return { model, ms: r.number(o, 'ms', path, 0, { min: 0, max: MAX_MS }) };
    }
    case 'uniform': {
      r.unknownKeys(o, path, ['model', 'min_ms', 'max_ms', ...extra]);
      requireKeys(r, o, path, ['min_ms', 'max_ms']);
      const min_ms = r.number(o, 'min_ms', path, 0, { min: 0, max: MAX_MS });
      const max_ms = r.number(o, 'max_ms', path, min_ms, { min: 0, max: MAX_MS });
      if (max_ms < min_ms) r.add(join(path, 'max_ms'), `${max_ms} must be >= min_ms (${min_ms})`);
      return { model, min_ms, max_ms: Math.max(min_ms, max_ms) };
    }
    case 'lognormal': {
      r.unknownKeys(o, path, ['model', 'p50_ms', 'p95_ms', ...extra]);
      requireKeys(r, o, path, ['p50_ms', 'p95_ms']);
      const p50_ms = r.number(o, 'p50_ms', path, 1, { gt: 0, max: MAX_MS });
      const p95_ms = r.number(o, 'p95_ms', path, p50_ms, { gt: 0, max: MAX_MS });
      if (p95_ms < p50_ms) r.add(join(path, 'p95_ms'), `${p95_ms} must be >= p50_ms (${p50_ms})`);
      return { model, p50_ms, p95_ms: Math.max(p50_ms, p95_ms) };
    }
    case 'mixture': {
      r.unknownKeys(o, path, ['model', 'components']);
      requireKeys(r, o, path, ['components']);
      const list = r.list(o.components, join(path, 'components'));
      const components: Array<{ weight: number } & LatencySpec> = [];
      if (list && list.length === 0) r.add(join(path, 'components'), 'needs at least one component');
      (list ?? []).forEach((c, i) => {
        const cp = join(join(path, 'components'), i);
        const co = r.object(c, cp);
        if (!co) return;
        if (co.weight === undefined) r.add(join(cp, 'weight'), 'missing; a number > 0');
        const weight = r.number(co, 'weight', cp, 1, { gt: 0, max: 1e9 });
        const spec = readLatency(r, co, cp, def, nested + 1);
        components.push({ ...spec, weight });
      });
      const total = components.reduce((s, c) => s + c.weight, 0);
      if (total > 0) for (const c of components) c.weight = c.weight / total;
      return components.length > 0 ? { model, components } : def;
    }
    default:
      return def;
  }
}

function requireKeys(r: Reader, o: Obj, path: string, keys: string[]): void {
  for (const k of keys) if (o[k] === undefined || o[k] === null) r.add(join(path, k), 'missing');
}

/** Parses a latency spec from plain data, throwing on the first problem (for library users / tests). */
export function latencySpec(raw: unknown): LatencySpec {
  const r = new Reader();
  const spec = readLatency(r, raw, 'latency');
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.path}: ${p.message}`).join('; '));
  return spec;
}

function lognormalParams(p50: number, p95: number): { mu: number; sigma: number } {
  return { mu: Math.log(p50), sigma: (Math.log(p95) - Math.log(p50)) / Z95 };
}

/** A sampler drawing latencies (ms) from `rng`. Non-negative. */
export function latencySampler(spec: LatencySpec, rng: Rng): () => number {
  switch (spec.model) {
    case 'constant': {
      const v = spec.ms;
      return () => v;
    }
    case 'uniform': {
      const { min_ms, max_ms } = spec;
      return () => min_ms + (max_ms - min_ms) * rng.next();
    }
    case 'lognormal': {
      const { mu, sigma } = lognormalParams(spec.p50_ms, spec.p95_ms);
      if (sigma === 0) return () => spec.p50_ms;
      return () => Math.exp(mu + sigma * rng.normal());
    }
    case 'mixture': {
      const subs = spec.components.map((c) => latencySampler(c, rng));
      const cum: number[] = [];
      let acc = 0;
      for (const c of spec.components) cum.push((acc += c.weight));
      return () => {
        const u = rng.next() * acc;
        for (let i = 0; i < cum.length; i++) if (u < cum[i]!) return subs[i]!();
        return subs[subs.length - 1]!();
      };
    }
  }
}

/** P(X <= x). */
export function latencyCdf(spec: LatencySpec, x: number): number {
  switch (spec.model) {
    case 'constant':
      return x >= spec.ms ? 1 : 0;
    case 'uniform':
      if (x < spec.min_ms) return 0;
      if (x >= spec.max_ms) return 1;
      return (x - spec.min_ms) / (spec.max_ms - spec.min_ms);
    case 'lognormal': {
      if (x <= 0) return 0;
      const { mu, sigma } = lognormalParams(spec.p50_ms, spec.p95_ms);
      if (sigma === 0) return x >= spec.p50_ms ? 1 : 0;
      return normalCdf((Math.log(x) - mu) / sigma);
    }
    case 'mixture':
      return spec.components.reduce((s, c) => s + c.weight * latencyCdf(c, x), 0);
  }
}

/** The q-quantile (0 < q < 1) of the model: closed form, or bisection on the CDF for mixtures. */
export function quantile(spec: LatencySpec, q: number): number {
  if (!(q > 0 && q < 1)) throw new RangeError(`quantile: q must be in (0, 1), got ${show(q)}`);
  switch (spec.model) {
    case 'constant':
      return spec.ms;
    case 'uniform':
      return spec.min_ms + q * (spec.max_ms - spec.min_ms);
    case 'lognormal': {
      const { mu, sigma } = lognormalParams(spec.p50_ms, spec.p95_ms);
      return Math.exp(mu + sigma * normalQuantile(q));
    }
    case 'mixture': {
      let lo = 0;
      let hi = Math.max(1e-9, ...spec.components.map((c) => quantile(c, 0.999999)));
      while (latencyCdf(spec, hi) < q) hi *= 2;
      for (let i = 0; i < 200 && hi - lo > 1e-9 * Math.max(1, hi); i++) {
        const mid = (lo + hi) / 2;
        if (latencyCdf(spec, mid) < q) lo = mid;
        else hi = mid;
      }
      return hi;
    }
  }
}

/** Mean of the model. */
export function latencyMean(spec: LatencySpec): number {
  switch (spec.model) {
    case 'constant':
      return spec.ms;
    case 'uniform':
      return (spec.min_ms + spec.max_ms) / 2;
    case 'lognormal': {
      const { mu, sigma } = lognormalParams(spec.p50_ms, spec.p95_ms);
      return Math.exp(mu + (sigma * sigma) / 2);
    }
    case 'mixture':
      return spec.components.reduce((s, c) => s + c.weight * latencyMean(c), 0);
  }
}

export { normalCdf, normalQuantile };
