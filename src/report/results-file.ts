/** Reading a saved results.json: JSON syntax and schema checks, every problem listed (exit 2 on bad input). */
import { ConfigError, UsageError, type Problem } from '../core/errors.js';
import { readTextFile } from '../config/load.js';
import { Reader, isObj, join, show, type Obj } from '../config/reader.js';
import { RESULTS_SCHEMA, type Results } from '../results/types.js';

const PCT_FIELDS = ['p50', 'p90', 'p95', 'p99', 'p999', 'max', 'mean', 'count'];
const WINDOW_FIELDS = ['start_ms', 'ticks', 'deadline_misses', 'fetch_md_p50', 'fetch_md_p95', 'fetch_md_p99', 'tick_total_p50', 'tick_total_p95', 'tick_total_p99'];

function requireNumber(r: Reader, o: Obj | undefined, key: string, path: string): void {
  if (!o) return;
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) r.add(join(path, key), v === undefined ? 'missing; a number is required' : `expected a number, got ${show(v)}`);
}

function requireObject(r: Reader, o: Obj | undefined, key: string, path: string): Obj | undefined {
  if (!o) return undefined;
  const v = o[key];
  if (!isObj(v)) {
    r.add(join(path, key), v === undefined ? 'missing' : `expected a mapping, got ${show(v)}`);
    return undefined;
  }
  return v;
}

/** Schema problems of a parsed results document (empty when it is a usable `mdcache.results/v1`). */
export function resultsProblems(data: unknown): Problem[] {
  const r = new Reader();
  if (!isObj(data)) {
    r.add('', `expected a JSON object (an ${RESULTS_SCHEMA} document), got ${show(data)}`);
    return r.problems;
  }
  if (data.schema !== RESULTS_SCHEMA) {
    r.add('schema', `${data.schema === undefined ? 'missing' : show(data.schema)}; expected '${RESULTS_SCHEMA}' (is this a results.json written by mdcache bench?)`);
    return r.problems;
  }
  requireNumber(r, data, 'seed', '');
  const run = requireObject(r, data, 'run', '');
  if (run && typeof run.command !== 'string') r.add('run.command', 'missing; expected a string');
  const paths = requireObject(r, data, 'paths', '');
  for (const p of ['uncached', 'cached']) {
    const pr = requireObject(r, paths, p, 'paths');
    const pp = `paths.${p}`;
    for (const m of ['fetch_md_ms', 'tick_total_ms']) {
      const o = requireObject(r, pr, m, pp);
      for (const f of PCT_FIELDS) requireNumber(r, o, f, `${pp}.${m}`);
    }
    for (const f of ['deadline_miss_ratio', 'ticks']) requireNumber(r, pr, f, pp);
    if (p === 'cached' && pr && pr.cache !== undefined) {
      const c = requireObject(r, pr, 'cache', pp);
      for (const f of ['hit_ratio', 'fresh_ratio', 'stale_ratio', 'miss_ratio', 'gets']) requireNumber(r, c, f, `${pp}.cache`);
    }
  }
  const windows = requireObject(r, data, 'windows', '');
  if (windows) {
    requireNumber(r, windows, 'window_ms', 'windows');
    for (const p of ['uncached', 'cached']) {
      const list = windows[p];
      if (!Array.isArray(list)) {
        r.add(`windows.${p}`, list === undefined ? 'missing; expected a list' : `expected a list, got ${show(list)}`);
        continue;
      }
      list.forEach((w, i) => {
        const wp = `windows.${p}[${i}]`;
        if (!isObj(w)) r.add(wp, `expected a mapping, got ${show(w)}`);
        else for (const f of WINDOW_FIELDS) requireNumber(r, w, f, wp);
      });
    }
  }
  if (data.spectra !== undefined && !isObj(data.spectra)) r.add('spectra', `expected a mapping, got ${show(data.spectra)}`);
  // Report at most 20 problems so a wholly wrong file stays readable.
  return r.problems.length > 20 ? [...r.problems.slice(0, 20), { path: '', message: `... and ${r.problems.length - 20} more` }] : r.problems;
}

/** Parses results.json text. Not JSON → UsageError; wrong schema → ConfigError listing the problems. */
export function parseResults(text: string, source = 'results'): Results {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${source} is not JSON: ${(err as Error).message}`);
  }
  const problems = resultsProblems(data);
  if (problems.length > 0) throw new ConfigError(problems, `results file ${source} (wrong schema)`);
  return data as Results;
}

/** Reads and validates a results.json (missing file → UsageError naming it). */
export function loadResults(file: string): Results {
  return parseResults(readTextFile(file, 'results file'), file);
}
