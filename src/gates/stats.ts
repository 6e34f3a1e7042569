/**
 * Small, dependency-free statistics used by the gates and by `compare`: quantiles, a seeded percentile
 * bootstrap over windows, and the Mann-Whitney U test (exact when small and untied, normal approximation
 * with tie and continuity correction otherwise). Everything here is pure and deterministic.
 */
import { normalCdf } from '../core/normal.js';
import { rngStream } from '../core/rng.js';

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Quantile q ∈ [0, 1] with linear interpolation between order statistics (Hyndman–Fan type 7). */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const h = (s.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return s[lo]! + (h - lo) * (s[hi]! - s[lo]!);
}

export interface BootstrapOptions {
  /** Resamples (default 2000). */
  resamples?: number;
  /** Two-sided confidence level (default 0.95). */
  confidence?: number;
  /** Seed of the resampling stream; the same seed gives the same interval. */
  seed: number | string;
  /** Stream name under the seed (default `bootstrap`). */
  stream?: string;
}

export interface BootstrapResult {
  /** The statistic on the original sample. */
  estimate: number;
  /** Percentile interval of the resampled statistic. */
  lo: number;
  hi: number;
  resamples: number;
}

/**
 * Percentile bootstrap: resample `n` indices with replacement, apply `stat` to each index set, take the
 * (1−c)/2 and (1+c)/2 quantiles. Index-based so paired data (both paths of one window) stay paired.
 */
export function bootstrap(n: number, stat: (idx: readonly number[]) => number, opts: BootstrapOptions): BootstrapResult {
  const all = Array.from({ length: n }, (_, i) => i);
  const estimate = stat(all);
  const B = opts.resamples ?? 2000;
  const c = opts.confidence ?? 0.95;
  if (n === 0) return { estimate, lo: Number.NaN, hi: Number.NaN, resamples: 0 };
  const rng = rngStream(opts.seed, opts.stream ?? 'bootstrap');
  const draws: number[] = [];
  const idx = new Array<number>(n);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < n; i++) idx[i] = Math.floor(rng.next() * n);
    const v = stat(idx);
    if (Number.isFinite(v)) draws.push(v);
  }
  return { estimate, lo: quantile(draws, (1 - c) / 2), hi: quantile(draws, (1 + c) / 2), resamples: draws.length };
}

export type Alternative = 'less' | 'greater' | 'two-sided';

export interface MannWhitneyResult {
  /** U of the first sample: pairs (x, y) with x > y, ties counting one half. */
  u: number;
  /** P-value for the chosen alternative (`less`: x tends to be smaller than y). */
  p: number;
  method: 'exact' | 'normal';
  n1: number;
  n2: number;
}

/** Exact null distribution is used when there are no ties and n1·n2 ≤ this. */
const EXACT_MAX_CELLS = 2500;

/**
 * Mann-Whitney U test of `x` against `y`. `alternative: 'less'` asks whether x is stochastically smaller
 * than y (one-sided), `'greater'` the opposite, `'two-sided'` either. Matches scipy.stats.mannwhitneyu
 * (`method='exact'` without ties for small samples, `'asymptotic'` with continuity correction otherwise).
 */
export function mannWhitneyU(x: readonly number[], y: readonly number[], alternative: Alternative = 'two-sided'): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) return { u: Number.NaN, p: Number.NaN, method: 'normal', n1, n2 };
  const all = [...x.map((v) => ({ v, g: 0 })), ...y.map((v) => ({ v, g: 1 }))].sort((a, b) => a.v - b.v);
  const N = n1 + n2;
  const ranks = new Array<number>(N);
  let tieTerm = 0;
  for (let i = 0; i < N; ) {
    let j = i;
    while (j + 1 < N && all[j + 1]!.v === all[i]!.v) j++;
    const t = j - i + 1;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[k] = r;
    if (t > 1) tieTerm += t * t * t - t;
    i = j + 1;
  }
  let r1 = 0;
  for (let k = 0; k < N; k++) if (all[k]!.g === 0) r1 += ranks[k]!;
  const u = r1 - (n1 * (n1 + 1)) / 2;

  if (tieTerm === 0 && n1 * n2 <= EXACT_MAX_CELLS) {
    const pmf = exactUDistribution(n1, n2);
    const cdf = (k: number): number => {
      let s = 0;
      for (let i = 0; i <= Math.min(k, pmf.length - 1); i++) s += pmf[i]!;
      return Math.min(1, s);
    };
    const uInt = Math.round(u);
    const pLess = cdf(uInt);
    const pGreater = 1 - cdf(uInt - 1);
    const p = alternative === 'less' ? pLess : alternative === 'greater' ? pGreater : Math.min(1, 2 * Math.min(pLess, pGreater));
    return { u, p: clamp01(p), method: 'exact', n1, n2 };
  }

  const mu = (n1 * n2) / 2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (N + 1 - tieTerm / (N * (N - 1))));
  if (sigma === 0) return { u, p: 1, method: 'normal', n1, n2 };
  let p: number;
  if (alternative === 'greater') p = 1 - normalCdf((u - mu - 0.5) / sigma);
  else if (alternative === 'less') p = normalCdf((u - mu + 0.5) / sigma);
  else p = 2 * (1 - normalCdf((Math.abs(u - mu) - 0.5) / sigma));
  return { u, p: clamp01(p), method: 'normal', n1, n2 };
}

/** P(U = k) for k = 0..n1·n2 under H0, by the recurrence p(m, n, k) = m/(m+n)·p(m−1, n, k−n) + n/(m+n)·p(m, n−1, k). */
function exactUDistribution(n1: number, n2: number): number[] {
  // prev[n] holds the distribution for (m-1, n); cur[n] for (m, n).
  let prev: number[][] = Array.from({ length: n2 + 1 }, () => [1]);
  for (let m = 1; m <= n1; m++) {
    const cur: number[][] = [];
    cur[0] = [1];
    for (let n = 1; n <= n2; n++) {
      const size = m * n + 1;
      const d = new Array<number>(size).fill(0);
      const a = prev[n]!; // (m-1, n): x is the largest → contributes n
      const b = cur[n - 1]!; // (m, n-1): y is the largest → contributes 0
      const wa = m / (m + n);
      const wb = n / (m + n);
      for (let k = 0; k < a.length; k++) d[k + n] = d[k + n]! + wa * a[k]!;
      for (let k = 0; k < b.length; k++) d[k] = d[k]! + wb * b[k]!;
      cur[n] = d;
    }
    prev = cur;
  }
  return prev[n2]!;
}

function clamp01(p: number): number {
  return Math.min(1, Math.max(0, p));
}

export { normalCdf };
