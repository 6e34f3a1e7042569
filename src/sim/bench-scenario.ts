/**
 * A scenario as the bench runs it: the market parts (read by the scenario module) plus the `pipeline:`,
 * `md_cache:` and `gates:` blocks, all validated in one pass so every problem is reported at once.
 */
import { readMdCache, type MdCacheConfig } from '../config/md-cache.js';
import type { Obj, Reader } from '../config/reader.js';
import { readGates } from '../gates/spec.js';
import type { GateSpec } from '../gates/types.js';
import { PIPELINE_DEFAULTS, readPipeline, type PipelineConfig } from '../pipeline/config.js';
import { loadScenario, parseScenario, type Scenario } from '../scenario/scenario.js';
import { cachedPathRaw, readArms } from './arms.js';
import type { ArmSpec } from './simulate.js';
import type { FleetSpec } from './fleet.js';
import { readFleet } from './fleet-config.js';

export interface BenchScenario {
  scenario: Scenario;
  pipeline: PipelineConfig;
  /** The cached path's cache config. `enabled` defaults to true here: the cached path exists to cache. */
  mdCache: MdCacheConfig;
  /** The scenario's own gates, when it has a `gates:` block. */
  gates: GateSpec[] | undefined;
  /** Named cached paths (`arms:`), each md_cache merged onto the block above; undefined = one `cached` path. */
  arms?: ArmSpec[];
  /** The raw `md_cache:` block (arms and `--policies` merge their overrides onto it). */
  mdCacheRaw?: unknown;
  /** `fleet:` — N processes on the same market, with and without a simulated shared tier. */
  fleet?: FleetSpec;
}

function readBenchBlocks(out: Partial<BenchScenario>) {
  return (r: Reader, top: Obj): void => {
    out.pipeline = top.pipeline === undefined ? PIPELINE_DEFAULTS : readPipeline(r, top.pipeline, 'pipeline');
    out.mdCacheRaw = top.md_cache;
    out.mdCache = readMdCache(r, cachedPathRaw(top.md_cache), 'md_cache');
    out.arms = readArms(r, top.arms, top.md_cache, 'arms');
    out.gates = readGates(r, top.gates, 'gates', out.arms?.map((a) => a.name));
    out.fleet = readFleet(r, top.fleet, 'fleet');
  };
}

export function loadBenchScenario(nameOrFile: string): BenchScenario {
  const out: Partial<BenchScenario> = {};
  const scenario = loadScenario(nameOrFile, readBenchBlocks(out));
  return { scenario, pipeline: out.pipeline!, mdCache: out.mdCache!, gates: out.gates, ...(out.arms ? { arms: out.arms } : {}), mdCacheRaw: out.mdCacheRaw, ...(out.fleet ? { fleet: out.fleet } : {}) };
}

export function parseBenchScenario(input: unknown, source = 'scenario'): BenchScenario {
  const out: Partial<BenchScenario> = {};
  const scenario = parseScenario(input, source, readBenchBlocks(out));
  return { scenario, pipeline: out.pipeline!, mdCache: out.mdCache!, gates: out.gates, ...(out.arms ? { arms: out.arms } : {}), mdCacheRaw: out.mdCacheRaw, ...(out.fleet ? { fleet: out.fleet } : {}) };
}
