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

export interface BenchScenario {
  scenario: Scenario;
  pipeline: PipelineConfig;
  /** The cached path's cache config. `enabled` defaults to true here: the cached path exists to cache. */
  mdCache: MdCacheConfig;
  /** The scenario's own gates, when it has a `gates:` block. */
  gates: GateSpec[] | undefined;
}

function readBenchBlocks(out: Partial<BenchScenario>) {
  return (r: Reader, top: Obj): void => {
    out.pipeline = top.pipeline === undefined ? PIPELINE_DEFAULTS : readPipeline(r, top.pipeline, 'pipeline');
    const raw = top.md_cache;
    const withEnabled = raw && typeof raw === 'object' && !Array.isArray(raw) && (raw as Obj).enabled === undefined ? { ...(raw as Obj), enabled: true } : (raw ?? { enabled: true });
    out.mdCache = readMdCache(r, withEnabled, 'md_cache');
    out.gates = readGates(r, top.gates, 'gates');
  };
}

export function loadBenchScenario(nameOrFile: string): BenchScenario {
  const out: Partial<BenchScenario> = {};
  const scenario = loadScenario(nameOrFile, readBenchBlocks(out));
  return { scenario, pipeline: out.pipeline!, mdCache: out.mdCache!, gates: out.gates };
}

export function parseBenchScenario(input: unknown, source = 'scenario'): BenchScenario {
  const out: Partial<BenchScenario> = {};
  const scenario = parseScenario(input, source, readBenchBlocks(out));
  return { scenario, pipeline: out.pipeline!, mdCache: out.mdCache!, gates: out.gates };
}
