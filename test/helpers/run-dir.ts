import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchOutput } from '../../src/sim/bench.js';

/** Writes a bench's output as a run folder (its .hlog files and results.json) at `dir`, as `mdcache bench` does; returns `dir`. */
export function saveRunDir(dir: string, o: BenchOutput): string {
  mkdirSync(dir, { recursive: true });
  for (const [f, t] of Object.entries(o.hlogs)) writeFileSync(join(dir, f), t);
  writeFileSync(join(dir, 'results.json'), JSON.stringify(o.results, null, 2));
  return dir;
}
