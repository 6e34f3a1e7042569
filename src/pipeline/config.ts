/** The scenario's `pipeline:` block: tick arrivals, the stages after fetch_md, the deadline. */
import { Reader, join, type Obj } from '../config/reader.js';
import { readLatency, type LatencySpec } from '../market/latency.js';

export type Arrival = 'fixed' | 'jitter' | 'poisson';
export type OnBusy = 'queue' | 'drop';

export interface TicksConfig {
  arrival: Arrival;
  rate_hz: number;
  /** For `jitter`: each interval is 1/rate_hz × (1 ± jitter_pct/100), uniform. */
  jitter_pct: number;
}

export interface StageConfig {
  name: string;
  latency: LatencySpec;
}

export interface PipelineConfig {
  ticks: TicksConfig;
  stages: StageConfig[];
  deadline_ms: number;
  on_busy: OnBusy;
}

export const PIPELINE_DEFAULTS: PipelineConfig = {
  ticks: { arrival: 'poisson', rate_hz: 10, jitter_pct: 10 },
  stages: [],
  deadline_ms: 200,
  on_busy: 'queue',
};

const RESERVED_STAGE_NAMES = ['fetch_md', 'tick_total'];

export function readPipeline(r: Reader, raw: unknown, path = 'pipeline'): PipelineConfig {
  const o = r.object(raw, path);
  if (o) r.unknownKeys(o, path, ['ticks', 'stages', 'deadline_ms', 'on_busy']);
  const tp = join(path, 'ticks');
  const t: Obj | undefined = r.object(o?.ticks, tp);
  if (t) r.unknownKeys(t, tp, ['arrival', 'rate_hz', 'jitter_pct']);
  const d = PIPELINE_DEFAULTS;
  const ticks: TicksConfig = {
    arrival: r.oneOf(t, 'arrival', tp, ['fixed', 'jitter', 'poisson'] as const, d.ticks.arrival),
    rate_hz: r.number(t, 'rate_hz', tp, d.ticks.rate_hz, { min: 0.001, max: 10_000 }),
    jitter_pct: r.number(t, 'jitter_pct', tp, d.ticks.jitter_pct, { min: 0, max: 100 }),
  };
  const stages: StageConfig[] = [];
  const sp = join(path, 'stages');
  const list = r.list(o?.stages, sp) ?? [];
  const seen = new Set<string>();
  list.forEach((item, i) => {
    const ip = join(sp, i);
    const so = r.object(item, ip);
    if (!so) {
      if (item === undefined || item === null) r.add(ip, 'expected a stage { name, latency }');
      return;
    }
    r.unknownKeys(so, ip, ['name', 'latency']);
    const name = r.string(so, 'name', ip, '');
    if (!name) r.add(join(ip, 'name'), 'is required (a stage name such as compute_quotes)');
    else if (!/^[a-z][a-z0-9_]*$/.test(name)) r.add(join(ip, 'name'), `'${name}' must be snake_case (a-z, 0-9, _)`);
    else if (RESERVED_STAGE_NAMES.includes(name)) r.add(join(ip, 'name'), `'${name}' is reserved; choose another name`);
    else if (seen.has(name)) r.add(join(ip, 'name'), `'${name}' is used by an earlier stage; names must be unique`);
    seen.add(name);
    if (so.latency === undefined) r.add(join(ip, 'latency'), 'is required, e.g. { model: lognormal, p50_ms: 40, p95_ms: 70 }');
    const latency = readLatency(r, so.latency, join(ip, 'latency'));
    stages.push({ name, latency });
  });
  return {
    ticks,
    stages,
    deadline_ms: r.number(o, 'deadline_ms', path, d.deadline_ms, { min: 1, max: 600_000 }),
    on_busy: r.oneOf(o, 'on_busy', path, ['queue', 'drop'] as const, d.on_busy),
  };
}
