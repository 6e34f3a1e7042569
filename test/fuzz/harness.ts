/**
 * Fuzzing harness (fast-check): runs a parser on generated inputs and classifies each outcome as parsed,
 * rejected with a clear error (the classes the CLI turns into one line + exit 2, or the network layer's
 * MalformedError), or a crash (any other exception, a message carrying a stack trace, or an input that took
 * longer than the hang limit). Crashes are collected, not thrown, so a run reports how many inputs it tried.
 */
import fc from 'fast-check';
import { ConfigError, UsageError } from '../../src/core/errors.js';
import { MalformedError } from '../../src/net/errors.js';

export interface FuzzStats {
  name: string;
  tried: number;
  parsed: number;
  rejected: number;
  crashes: number;
  hangs: number;
  maxMs: number;
  samples: string[];
}

export interface FuzzTarget<T> {
  name: string;
  arb: fc.Arbitrary<T>;
  /** Parses the input; resolves/returns when it parsed, throws when it rejected it. */
  run(input: T): unknown;
  /** Extra clear error classes for this parser (default: ConfigError, UsageError, MalformedError). */
  clear?: (err: unknown) => boolean;
}

/** An input that takes longer than this counts as a hang. */
export const HANG_MS = 2000;

const STACK_RE = /\n\s+at .+[(:]\d+/;

export function isClearError(err: unknown): boolean {
  if (!(err instanceof ConfigError || err instanceof UsageError || err instanceof MalformedError)) return false;
  return !STACK_RE.test(err.message) && err.message.trim().length > 0;
}

function show(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 160 ? s.slice(0, 160) + '…' : s;
}

export async function fuzz<T>(t: FuzzTarget<T>, numRuns: number, seed = 20261127): Promise<FuzzStats> {
  const st: FuzzStats = { name: t.name, tried: 0, parsed: 0, rejected: 0, crashes: 0, hangs: 0, maxMs: 0, samples: [] };
  const clear = t.clear ?? isClearError;
  await fc.assert(
    fc.asyncProperty(t.arb, async (input) => {
      st.tried++;
      const t0 = performance.now();
      try {
        await t.run(input);
        st.parsed++;
      } catch (err) {
        if (clear(err)) st.rejected++;
        else {
          st.crashes++;
          if (st.samples.length < 3) st.samples.push(`${show(input)} → ${err instanceof Error ? `${err.name}: ${err.message.split('\n')[0]}` : String(err)}`);
        }
      }
      const ms = performance.now() - t0;
      st.maxMs = Math.max(st.maxMs, ms);
      if (ms > HANG_MS) {
        st.hangs++;
        if (st.samples.length < 3) st.samples.push(`${show(input)} → took ${Math.round(ms)} ms`);
      }
      return true;
    }),
    { numRuns, seed },
  );
  return st;
}

export function fuzzTable(rows: FuzzStats[]): string {
  const head = '| parser | inputs tried | parsed | clear error (exit 2) | crashes | hangs | slowest input |';
  const sep = '|---|---:|---:|---:|---:|---:|---:|';
  const body = rows.map((r) => `| ${r.name} | ${r.tried} | ${r.parsed} | ${r.rejected} | ${r.crashes} | ${r.hangs} | ${r.maxMs.toFixed(1)} ms |`);
  return [head, sep, ...body].join('\n');
}

// ------------------------------------------------------------------ input generators

/** Values a hostile user or a broken peer puts where a field is expected. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<unknown>(null, '', ' ', -1, 0, 1, -0.5, 0.5, 1e308, -1e308, 2 ** 53, 2 ** 70, '1e999', 'NaN', 'Infinity', '-5s', '5ms', '0ms', '99999h', '1.5', '0x10', ' 5 ', true, false, [], {}, [[]], { a: 1 }, 'BTCUSDT', 'x'.repeat(10_000), '__proto__', 'constructor', '\u0000', '😀', '1m', '-0') },
  { weight: 2, arbitrary: fc.anything({ maxDepth: 2, maxKeys: 4, withNullPrototype: true, withBigInt: false, withBoxedValues: true, withMap: false, withSet: false, withTypedArray: false, withSparseArray: true }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.integer() },
);

type Path = Array<string | number>;

function paths(v: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out));
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) paths((v as Record<string, unknown>)[k], [...prefix, k], out);
  return out;
}

function setAt(root: unknown, p: Path, value: unknown, del: boolean): unknown {
  if (p.length === 0) return value;
  const clone = structuredClone(root) as Record<string | number, unknown>;
  let cur = clone;
  for (let i = 0; i < p.length - 1; i++) cur = cur[p[i]!] as Record<string | number, unknown>;
  const last = p[p.length - 1]!;
  if (del) {
    if (Array.isArray(cur)) cur.splice(Number(last), 1);
    else delete cur[last];
  } else cur[last] = value;
  return clone;
}

/** A valid document with 1–3 of its nodes replaced by hostile values or deleted (structure-aware fuzzing). */
export function mutatedDoc(valid: unknown): fc.Arbitrary<unknown> {
  const all = paths(valid);
  const one = fc.tuple(fc.nat({ max: all.length - 1 }), hostileValue, fc.boolean());
  return fc.array(one, { minLength: 1, maxLength: 3 }).map((muts) => {
    let doc = valid;
    for (const [i, v, del] of muts) {
      const p = all[i]!;
      try {
        doc = setAt(doc, p, v, del && p.length > 0);
      } catch {
        /* the path vanished under an earlier mutation */
      }
    }
    return doc;
  });
}

const TOKENS = [':', ': ', '-', '- ', '[', ']', '{', '}', ',', '"', "'", '&a ', '*a', '<<: *a', '!!binary ', '!!js/function ', '? ', '|', '>', '#', '\t', '\n', '\n  ', '  ', 'null', '~', '1e999', '-1', '0', 'true', '%YAML 1.2\n', '---\n', '...\n', '\u0000', '\ufeff', '😀'];

/** A valid text with 1–4 byte-level edits: deletions, insertions of YAML/JSON-significant tokens, duplications. */
export function mutatedText(valid: string): fc.Arbitrary<string> {
  const edit = fc.tuple(fc.nat({ max: valid.length }), fc.nat({ max: 40 }), fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 8 })), fc.nat({ max: 2 }));
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => {
    let s = valid;
    for (const [at0, len, tok, kind] of edits) {
      const at = Math.min(at0, s.length);
      if (kind === 0) s = s.slice(0, at) + s.slice(at + len);
      else if (kind === 1) s = s.slice(0, at) + tok + s.slice(at);
      else s = s.slice(0, at) + s.slice(at, at + len) + s.slice(at);
    }
    return s;
  });
}

/** Line-level edits of a JSONL text: drop, duplicate, swap, truncate or replace lines. */
export function mutatedLines(valid: string): fc.Arbitrary<string> {
  const lines = valid.split('\n');
  const edit = fc.tuple(fc.nat({ max: lines.length - 1 }), fc.nat({ max: lines.length - 1 }), fc.nat({ max: 4 }), fc.oneof(fc.constantFrom('', '{}', 'null', '[]', '{"type":"diff"}', '{"type":"header"}', 'x'), fc.json()));
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => {
    const ls = lines.slice();
    for (const [i, j, kind, repl] of edits) {
      if (i >= ls.length) continue;
      if (kind === 0) ls.splice(i, 1);
      else if (kind === 1) ls.splice(i, 0, ls[i]!);
      else if (kind === 2 && j < ls.length) [ls[i], ls[j]] = [ls[j]!, ls[i]!];
      else if (kind === 3) ls[i] = ls[i]!.slice(0, Math.floor(ls[i]!.length / 2));
      else ls[i] = repl;
    }
    return ls.join('\n');
  });
}

/** A JSON line whose object has one field replaced by a hostile value. */
export function mutatedJsonLine(valid: string): fc.Arbitrary<string> {
  return mutatedDoc(JSON.parse(valid)).map((d) => {
    try {
      return JSON.stringify(d) ?? 'null';
    } catch {
      return 'null';
    }
  });
}
