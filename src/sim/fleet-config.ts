/** The scenario's `fleet:` block: how many processes, and the simulated shared tier they use. */
import { Reader, type Obj } from '../config/reader.js';
import { readLatency } from '../market/latency.js';
import type { SimFaults } from '../cache/shared/sim-store.js';
import type { FleetSharedSpec, FleetSpec } from './fleet.js';

export const FLEET_SHARED_DEFAULTS: Readonly<FleetSharedSpec> = Object.freeze({
  latency: { model: 'lognormal', p50_ms: 0.3, p95_ms: 1 },
  faults: { outages: [], slow: [] },
  lease_ms: 250,
  command_timeout_ms: 50,
  breaker_reset_ms: 1000,
}) as FleetSharedSpec;

export const MAX_PROCESSES = 256;

/** Reads `fleet: { processes, shared: { latency, faults, lease_ms, command_timeout_ms, breaker_reset_ms } }`. */
export function readFleet(r: Reader, raw: unknown, path = 'fleet'): FleetSpec | undefined {
  if (raw === undefined || raw === null) return undefined;
  const o = r.object(raw, path);
  if (!o) return undefined;
  r.unknownKeys(o, path, ['processes', 'shared']);
  if (o.processes === undefined) r.add(`${path}.processes`, 'missing; how many processes run the pipeline (1 to 256)');
  const processes = r.number(o, 'processes', path, 1, { min: 1, max: MAX_PROCESSES, integer: true });
  return { processes, shared: readFleetShared(r, o.shared, `${path}.shared`) };
}

function readFleetShared(r: Reader, raw: unknown, path: string): FleetSharedSpec {
  const d = FLEET_SHARED_DEFAULTS;
  const o = r.object(raw, path);
  if (!o) return { ...d };
  r.unknownKeys(o, path, ['latency', 'faults', 'lease_ms', 'command_timeout_ms', 'breaker_reset_ms']);
  return {
    latency: readLatency(r, o.latency, `${path}.latency`, d.latency),
    faults: readFaults(r, o.faults, `${path}.faults`),
    lease_ms: r.number(o, 'lease_ms', path, d.lease_ms, { min: 10, max: 60_000 }),
    command_timeout_ms: r.number(o, 'command_timeout_ms', path, d.command_timeout_ms, { min: 1, max: 10_000 }),
    breaker_reset_ms: r.number(o, 'breaker_reset_ms', path, d.breaker_reset_ms, { min: 10, max: 600_000 }),
  };
}

/** `faults: { outages: [{ at_ms, for_ms, mode: down|hang, restart }], slow: [{ at_ms, for_ms, extra_ms }] }` */
function readFaults(r: Reader, raw: unknown, path: string): SimFaults {
  const o = r.object(raw, path);
  if (!o) return { outages: [], slow: [] };
  r.unknownKeys(o, path, ['outages', 'slow']);
  const outages = (r.list(o.outages, `${path}.outages`) ?? []).map((x, i) => {
    const p = `${path}.outages[${i}]`;
    const e: Obj | undefined = r.object(x, p);
    if (e) r.unknownKeys(e, p, ['at_ms', 'for_ms', 'mode', 'restart']);
    return {
      at_ms: r.number(e, 'at_ms', p, 0, { min: 0 }),
      for_ms: r.number(e, 'for_ms', p, 1000, { gt: 0 }),
      mode: r.oneOf(e, 'mode', p, ['down', 'hang'] as const, 'down'),
      restart: r.boolean(e, 'restart', p, false),
    };
  });
  const slow = (r.list(o.slow, `${path}.slow`) ?? []).map((x, i) => {
    const p = `${path}.slow[${i}]`;
    const e: Obj | undefined = r.object(x, p);
    if (e) r.unknownKeys(e, p, ['at_ms', 'for_ms', 'extra_ms']);
    return { at_ms: r.number(e, 'at_ms', p, 0, { min: 0 }), for_ms: r.number(e, 'for_ms', p, 1000, { gt: 0 }), extra_ms: r.number(e, 'extra_ms', p, 10, { min: 0 }) };
  });
  return { outages, slow };
}
