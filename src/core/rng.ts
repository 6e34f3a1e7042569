/**
 * Seeded random streams. Every component draws from its own named stream so enabling one feature
 * (e.g. the cache) never shifts the draws another component sees.
 */
import seedrandom from 'seedrandom';

export class Rng {
  private readonly gen: () => number;
  private spare: number | undefined;

  constructor(seed: string) {
    this.gen = seedrandom.alea(seed);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.gen();
  }
  uniform(min: number, max: number): number {
    return min + (max - min) * this.gen();
  }
  /** Integer in [min, max] inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.gen() * (max - min + 1));
  }
  bernoulli(p: number): boolean {
    return p > 0 && this.gen() < p;
  }
  /** Standard normal (Marsaglia polar method). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u: number, v: number, s: number;
    do {
      u = this.gen() * 2 - 1;
      v = this.gen() * 2 - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * m;
    return u * m;
  }
  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -Math.log(1 - this.gen()) * mean;
  }
  /** Poisson-distributed count (Knuth for small means, normal approximation above 30). */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    const l = Math.exp(-mean);
    let k = 0;
    let p = 1;
    do {
      k++;
      p *= this.gen();
    } while (p > l);
    return k - 1;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.gen() * items.length)]!;
  }
}

/** A named, independent stream derived from the run seed. */
export function rngStream(seed: number | string, name: string): Rng {
  return new Rng(`${seed}/${name}`);
}
