/**
 * A small, pure field reader that validates untyped (parsed YAML/JSON) input and collects every problem
 * with its path, the bad value and what is allowed — instead of stopping at the first.
 */
import type { Problem } from '../core/errors.js';

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function show(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

export function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

function levenshtein(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

export function didYouMean(key: string, allowed: readonly string[]): string | undefined {
  const k = key.toLowerCase();
  const prefixed = allowed.filter((a) => a.toLowerCase().startsWith(k) || k.startsWith(a.toLowerCase()));
  if (k.length >= 2 && prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestD = Infinity;
  for (const a of allowed) {
    const d = levenshtein(key.toLowerCase(), a.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = a;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

export interface NumberRule {
  min?: number;
  max?: number;
  integer?: boolean;
  /** Exclusive lower bound (e.g. > 0). */
  gt?: number;
}

export class Reader {
  readonly problems: Problem[] = [];

  add(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  get ok(): boolean {
    return this.problems.length === 0;
  }

  /** Reports keys of `obj` that are not in `allowed`, with a did-you-mean. */
  unknownKeys(obj: Obj, path: string, allowed: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      if (allowed.includes(key)) continue;
      const hint = didYouMean(key, allowed);
      this.add(join(path, key), `unknown key${hint ? ` (did you mean '${hint}'?)` : ''}; allowed: ${allowed.join(', ')}`);
    }
  }

  object(v: unknown, path: string): Obj | undefined {
    if (v === undefined || v === null) return undefined;
    if (!isObj(v)) {
      this.add(path, `expected a mapping, got ${show(v)}`);
      return undefined;
    }
    return v;
  }

  list(v: unknown, path: string): unknown[] | undefined {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) {
      this.add(path, `expected a list, got ${show(v)}`);
      return undefined;
    }
    return v;
  }

  number(obj: Obj | undefined, key: string, path: string, def: number, rule: NumberRule = {}): number {
    const v = obj?.[key];
    const p = join(path, key);
    if (v === undefined || v === null) return def;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.add(p, `expected a number, got ${show(v)}`);
      return def;
    }
    if (rule.integer && !Number.isInteger(v)) {
      this.add(p, `${v} is not a whole number`);
      return def;
    }
    const lo = rule.min ?? -Infinity;
    const hi = rule.max ?? Infinity;
    if (v < lo || v > hi) {
      this.add(p, `${v} is out of range [${fmt(lo)}, ${fmt(hi)}]`);
      return def;
    }
    if (rule.gt !== undefined && !(v > rule.gt)) {
      this.add(p, `${v} must be greater than ${rule.gt}`);
      return def;
    }
    return v;
  }

  optionalNumber(obj: Obj | undefined, key: string, path: string, rule: NumberRule = {}): number | undefined {
    if (obj?.[key] === undefined || obj[key] === null) return undefined;
    const sentinel = Number.NaN;
    const v = this.number(obj, key, path, sentinel, rule);
    return Number.isNaN(v) ? undefined : v;
  }

  boolean(obj: Obj | undefined, key: string, path: string, def: boolean): boolean {
    const v = obj?.[key];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'boolean') {
      this.add(join(path, key), `expected true or false, got ${show(v)}`);
      return def;
    }
    return v;
  }

  string(obj: Obj | undefined, key: string, path: string, def: string): string {
    const v = obj?.[key];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'string') {
      this.add(join(path, key), `expected a string, got ${show(v)}`);
      return def;
    }
    return v;
  }

  oneOf<T extends string>(obj: Obj | undefined, key: string, path: string, allowed: readonly T[], def: T): T {
    const v = obj?.[key];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      const hint = typeof v === 'string' ? didYouMean(v, allowed) : undefined;
      this.add(join(path, key), `${show(v)} is not allowed${hint ? ` (did you mean '${hint}'?)` : ''}; use one of: ${allowed.join(', ')}`);
      return def;
    }
    return v as T;
  }
}

function fmt(n: number): string {
  return n === Infinity ? '∞' : n === -Infinity ? '-∞' : String(n);
}
