/**
 * Gate definitions: the defaults, the rollback conditions, and the `gates:` YAML block reader (pure; it
 * collects every problem in a Reader so a config error lists them all at once).
 */
import { ConfigError } from '../core/errors.js';
import { Reader, didYouMean, isObj, join, show, type Obj } from '../config/reader.js';
import { parseYaml, readTextFile } from '../config/load.js';
import { OPS, type GateKind, type GateSeverity, type GateSpec, type Op } from './types.js';
import { DEFAULT_WEIGHT_BUDGET_PER_MIN } from '../market/rest-cost.js';
import { VALID_METRICS_TEXT, VALID_RELATIVE_TEXT, allMetricPaths, allRelativeMetrics, metricInfo, parseMetricPath } from './metrics.js';

/** The seed's four targets (severity error), each comparing cached with uncached from the same run. */
export const ERROR_DEFAULT_GATES: readonly GateSpec[] = Object.freeze([
  { name: 'hit_ratio >= 0.7', kind: 'absolute', metric: 'cached.cache.hit_ratio', op: '>=', value: 0.7 },
  { name: 'fetch_md p95 improvement >= 20 ms', kind: 'improvement_ms', metric: 'fetch_md_ms.p95', op: '>=', value: 20 },
  { name: 'tick_total p95 <= 130 ms', kind: 'absolute', metric: 'cached.tick_total_ms.p95', op: '<=', value: 130 },
  { name: 'deadline_miss < 2 %', kind: 'absolute', metric: 'cached.deadline_miss_ratio', op: '<', value: 0.02 },
] satisfies GateSpec[]);

/**
 * The decision-quality and REST-cost warnings (severity warn: shown, never change the verdict): top-of-book
 * error p99 ≤ 2 ticks; REST weight per minute in the busiest window ≤ 50 % of the budget; REST saving ≥ 50 %.
 */
export function warnDefaultGates(budgetPerMin = DEFAULT_WEIGHT_BUDGET_PER_MIN): GateSpec[] {
  const half = budgetPerMin / 2;
  return [
    { name: 'tob_error p99 <= 2 ticks', severity: 'warn', kind: 'absolute', metric: 'cached.cache.tob_error_ticks.p99', op: '<=', value: 2 },
    { name: `REST weight/min (max window) <= ${half} (50 % of budget)`, severity: 'warn', kind: 'absolute', metric: 'cached.rest.weight_per_min.max', op: '<=', value: half },
    { name: 'REST saving >= 50 %', severity: 'warn', kind: 'absolute', metric: 'cached.rest.saving', op: '>=', value: 0.5 },
  ];
}

/** The default gate set for a REST budget: the seed's four (error) plus the three warnings. */
export function defaultGates(budgetPerMin = DEFAULT_WEIGHT_BUDGET_PER_MIN): readonly GateSpec[] {
  return [...ERROR_DEFAULT_GATES, ...warnDefaultGates(budgetPerMin)];
}

/** The default gates at the default budget (6,000 weight per minute). */
export const DEFAULT_GATES: readonly GateSpec[] = Object.freeze(defaultGates());

/** The REST budget a scenario (resolved, as stored in results.json) sets: `rest.budget.weight_per_min`. */
export function scenarioBudget(scenario: Record<string, unknown> | undefined): number {
  const v = (scenario?.rest as { budget?: { weight_per_min?: unknown } } | undefined)?.budget?.weight_per_min;
  return typeof v === 'number' && v > 0 ? v : DEFAULT_WEIGHT_BUDGET_PER_MIN;
}

/**
 * Rollback *conditions* for a canary (uncached = control, cached = canary): a condition whose status is
 * `pass` means "roll back"; `inconclusive` means undecided (pause for a human, as Argo Rollouts does).
 */
export const ROLLBACK_GATES: readonly GateSpec[] = Object.freeze([
  { name: 'rollback: hit_ratio < 0.5', kind: 'absolute', metric: 'cached.cache.hit_ratio', op: '<', value: 0.5 },
  { name: 'rollback: fetch_md p95 regression > +15 %', kind: 'regression_pct', metric: 'fetch_md_ms.p95', op: '>', value: 15 },
] satisfies GateSpec[]);

/** The readable default name of a gate: `cached.fetch_md_ms.p95 <= 35`, `fetch_md_ms.p95 improvement >= 20 ms`. */
export function gateName(g: GateSpec): string {
  if (g.name) return g.name;
  if (g.kind === 'improvement_ms') return `${g.metric} improvement ${g.op} ${g.value} ms`;
  if (g.kind === 'regression_pct') return `${g.metric} regression ${g.op} ${g.value} %`;
  return `${g.metric} ${g.op} ${g.value}`;
}

/** The metric a gate reports: the full path, or `uncached−cached fetch_md_ms.p95` style for relative ones. */
export function gateMetricLabel(g: GateSpec): string {
  const c = g.arm ?? 'cached';
  if (g.kind === 'improvement_ms') return `uncached.${g.metric} − ${c}.${g.metric}`;
  if (g.kind === 'regression_pct') return `(${c}.${g.metric} − uncached.${g.metric}) / uncached.${g.metric} × 100`;
  return g.metric;
}

/**
 * The gates a run with named arms evaluates: a gate on `cached.…` and a relative gate (uncached vs cached)
 * apply to each arm (one copy per arm, named `<arm>: <gate>`); gates naming `uncached.…` or an arm stay
 * as they are. Without arms (or `arms` = ['cached']) the list is returned unchanged.
 */
export function expandGatesForArms(gates: readonly GateSpec[], arms: readonly string[]): GateSpec[] {
  if (arms.length === 0 || (arms.length === 1 && arms[0] === 'cached')) return [...gates];
  const out: GateSpec[] = [];
  for (const g of gates) {
    const onCached = g.kind === 'absolute' ? g.metric.startsWith('cached.') : g.arm === undefined;
    if (!onCached) {
      out.push(g);
      continue;
    }
    for (const arm of arms) {
      const name = `${arm}: ${gateName(g)}`;
      out.push(g.kind === 'absolute' ? { ...g, name, metric: `${arm}.${g.metric.slice('cached.'.length)}`, arm } : { ...g, name, arm });
    }
  }
  return out;
}

const GATE_KEYS = ['name', 'severity', 'metric', 'op', 'value', 'improvement_ms', 'regression_pct'] as const;
const SEVERITIES = ['error', 'warn'] as const;
const RELATIVE_KEYS = ['op', 'value'] as const;
const SHORTHAND = /^\s*(\S+)\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$/i;

/**
 * Reads a `gates:` list at `path`, recording problems in `r`. Returns undefined when `raw` is absent
 * (callers then use DEFAULT_GATES). An empty list is a problem (it would check nothing) unless `opts.allowEmpty`.
 */
export function readGates(r: Reader, raw: unknown, path = 'gates', arms: readonly string[] = [], opts: { allowEmpty?: boolean } = {}): GateSpec[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  const list = r.list(raw, path);
  if (!list) return undefined;
  // An empty gate list would "pass" with nothing checked: refuse it (omit the key for the default gates, or run with --no-gate).
  if (list.length === 0 && !opts.allowEmpty) {
    r.add(path, 'is empty: no gate would be checked; omit it for the default gates, or run with --no-gate to evaluate none');
    return undefined;
  }
  const out: GateSpec[] = [];
  list.forEach((item, i) => {
    const g = readGate(r, item, join(path, i), arms);
    if (g) out.push(g);
  });
  return out;
}

function readGate(r: Reader, item: unknown, p: string, arms: readonly string[] = []): GateSpec | undefined {
  if (typeof item === 'string') {
    const m = SHORTHAND.exec(item);
    if (!m) {
      r.add(p, `${show(item)} is not a gate; write '<metric> <op> <number>' (e.g. 'cached.tick_total_ms.p95 <= 130') or a mapping { metric, op, value }`);
      return undefined;
    }
    return readGate(r, { metric: m[1], op: m[2], value: Number(m[3]) }, p, arms);
  }
  if (!isObj(item)) {
    r.add(p, `expected a mapping { metric, op, value } or a string '<metric> <op> <number>', got ${show(item)}`);
    return undefined;
  }
  // The resolved form (a GateSpec serialised with its `kind`) reads back like the YAML form.
  if (item.kind === 'improvement_ms' || item.kind === 'regression_pct' || item.kind === 'absolute') {
    const { kind, op, value, ...rest } = item;
    return readGate(r, kind === 'absolute' ? { ...rest, op, value } : { ...rest, [kind as string]: { op, value } }, p, arms);
  }
  const before = r.problems.length;
  r.unknownKeys(item, p, GATE_KEYS);
  const name = item.name === undefined ? undefined : r.string(item, 'name', p, '');
  const severity: GateSeverity = r.oneOf(item, 'severity', p, SEVERITIES, 'error');
  const rel = (['improvement_ms', 'regression_pct'] as const).filter((k) => item[k] !== undefined);
  let kind: GateKind = 'absolute';
  let body: Obj | undefined = item;
  let bodyPath = p;
  if (rel.length > 1) {
    r.add(p, `use one of improvement_ms or regression_pct, not both`);
  } else if (rel.length === 1) {
    kind = rel[0]!;
    bodyPath = join(p, kind);
    body = r.object(item[kind], bodyPath);
    if (body) r.unknownKeys(body, bodyPath, RELATIVE_KEYS);
    if (item.op !== undefined || item.value !== undefined) r.add(p, `op and value go inside ${kind}: { op: ..., value: ... }, not beside it`);
  }
  const metric = readMetricField(r, item, p, kind, arms);
  let op: Op = '<=';
  if (body && body.op === undefined) r.add(join(bodyPath, 'op'), `missing; use one of: ${OPS.join(' ')}`);
  else if (body) op = readOp(r, body.op, join(bodyPath, 'op'));
  let value = 0;
  if (body && body.value === undefined) r.add(join(bodyPath, 'value'), `missing; a number is required`);
  else if (body) value = r.number(body, 'value', bodyPath, 0);
  if (r.problems.length > before || metric === undefined) return undefined;
  const g: GateSpec = { kind, metric, op, value };
  if (name) g.name = name;
  if (severity === 'warn') g.severity = 'warn';
  return g;
}

const OP_HINTS: Record<string, Op> = { '=<': '<=', '=>': '>=', '=': '==', '<>': '!=', '!': '!=', '≤': '<=', '≥': '>=', '≠': '!=', lt: '<', le: '<=', lte: '<=', gt: '>', ge: '>=', gte: '>=', eq: '==', ne: '!=' };

function readOp(r: Reader, v: unknown, p: string): Op {
  if (typeof v === 'string' && (OPS as readonly string[]).includes(v.trim())) return v.trim() as Op;
  const hint = typeof v === 'string' ? OP_HINTS[v.trim().toLowerCase()] : undefined;
  r.add(p, `${show(v)} is not allowed${hint ? ` (did you mean '${hint}'?)` : ''}; use one of: ${OPS.join(', ')}`);
  return '<=';
}

function readMetricField(r: Reader, item: Obj, p: string, kind: GateKind, arms: readonly string[] = []): string | undefined {
  const mp = join(p, 'metric');
  if (item.metric === undefined) {
    r.add(mp, `missing; e.g. cached.fetch_md_ms.p95`);
    return undefined;
  }
  if (typeof item.metric !== 'string') {
    r.add(mp, `expected a string, got ${show(item.metric)}`);
    return undefined;
  }
  const m = item.metric.trim();
  if (kind === 'absolute') {
    if (parseMetricPath(m, arms)) return m;
    const info = metricInfo(m);
    if (info) {
      const paths = info.cachedOnly ? `cached.${m}` : `cached.${m} or uncached.${m}`;
      r.add(mp, `'${m}' needs a path: ${paths} (or compare the paths with improvement_ms / regression_pct)`);
      return undefined;
    }
    if (/^uncached\.cache\./.test(m)) {
      r.add(mp, `'${m}': the uncached path has no cache metrics; use cached.${m.slice('uncached.'.length)}`);
      return undefined;
    }
    const hint = didYouMean(m, allMetricPaths(arms));
    r.add(mp, `'${m}' is not a known metric${hint ? ` (did you mean '${hint}'?)` : ''}; valid: ${VALID_METRICS_TEXT}`);
    return undefined;
  }
  const stripped = m.replace(/^(uncached|cached)\./, '');
  const info = metricInfo(stripped);
  if (stripped !== m && info && !info.cachedOnly) {
    r.add(mp, `'${m}': ${kind === 'improvement_ms' ? 'an' : 'a'} ${kind} gate compares both paths, so name the metric without the path: '${stripped}'`);
    return undefined;
  }
  if (!info || info.cachedOnly) {
    const hint = didYouMean(stripped, allRelativeMetrics());
    r.add(mp, `'${m}' is not a metric both paths have${hint ? ` (did you mean '${hint}'?)` : ''}; valid in ${kind}: ${VALID_RELATIVE_TEXT}`);
    return undefined;
  }
  if (kind === 'improvement_ms' && info.unit !== 'ms') {
    r.add(mp, `'${m}' is not a latency in ms; improvement_ms needs one (e.g. fetch_md_ms.p95); use regression_pct for other metrics`);
    return undefined;
  }
  return m;
}

/** The YAML form of a gate (what readGates accepts), e.g. for writing a resolved scenario back out. */
export function gateToYaml(g: GateSpec): Record<string, unknown> {
  const head: Record<string, unknown> = { ...(g.name ? { name: g.name } : {}), ...(g.severity === 'warn' ? { severity: 'warn' } : {}), metric: g.metric };
  return g.kind === 'absolute' ? { ...head, op: g.op, value: g.value } : { ...head, [g.kind]: { op: g.op, value: g.value } };
}

/**
 * Parses a gates file: a YAML document with a top-level `gates:` list (other top-level keys, e.g. the rest
 * of a scenario, are ignored). Throws ConfigError listing every problem.
 */
export function parseGatesDocument(data: unknown, source = 'gates file', arms: readonly string[] = []): GateSpec[] {
  const r = new Reader();
  const top = r.object(data ?? {}, '');
  let gates: GateSpec[] | undefined;
  if (top && (top.gates === undefined || top.gates === null)) r.add('gates', `missing; the file must hold a top-level 'gates:' list`);
  else if (top) gates = readGates(r, top.gates, 'gates', arms);
  if (!r.ok) throw new ConfigError(r.problems, source);
  return gates ?? [];
}

/** Reads and parses a `--gates FILE` (missing file → UsageError, bad content → ConfigError; both exit 2). */
export function loadGatesFile(file: string, arms: readonly string[] = []): GateSpec[] {
  return parseGatesDocument(parseYaml(readTextFile(file, 'gates file'), file), `gates file ${file}`, arms);
}

/** Gate specs to use for a run: the scenario's own `gates:` block if it has one, else the defaults for its REST budget. */
export function gatesFromScenario(scenario: Record<string, unknown> | undefined, source = 'results scenario', arms: readonly string[] = []): readonly GateSpec[] {
  if (!scenario || scenario.gates === undefined || scenario.gates === null) return defaultGates(scenarioBudget(scenario));
  const r = new Reader();
  const g = readGates(r, scenario.gates, 'scenario.gates', arms);
  if (!r.ok) throw new ConfigError(r.problems, source);
  return g ?? defaultGates(scenarioBudget(scenario));
}
