#!/usr/bin/env node
/**
 * Simulator throughput: a 30-minute virtual `baseline` bench (both paths) against a reference measured in
 * the same run — the same number of bare VirtualClock timers with no work in them (the floor the
 * discrete-event loop itself costs). Prints ticks/s, the time per tick and the ratio to the reference.
 *
 * Usage: npm run build && npm run bench:sim [-- --json] [--duration-min 30] [--scenario baseline]
 */
import { performance } from 'node:perf_hooks';
import { VirtualClock } from '../dist/index.js';
import { loadBenchScenario, runBench } from '../dist/sim/index.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const arg = (flag, def) => {
  const i = args.indexOf(flag);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : def;
};
const minutes = Number(arg('--duration-min', '30'));
const scenario = arg('--scenario', 'baseline');

const bench = loadBenchScenario(scenario);
const t0 = performance.now();
const { results } = await runBench({ bench, durationMs: minutes * 60_000, gates: null, run: { id: 'bench', command: 'bench', version: '', host: '' } });
const simMs = performance.now() - t0;
const ticks = results.paths.uncached.ticks + results.paths.cached.ticks;
// Timers the run fired: one arrival per tick, one stage sleep per completed tick and path, one REST sleep per
// uncached fetch and per cache refresh — the same count of empty timers is the reference.
const timers = results.paths.uncached.ticks + ticks + results.paths.uncached.ticks + results.paths.cached.cache.refreshes;

const clock = new VirtualClock(0);
const t1 = performance.now();
for (let i = 0; i < timers; i++) clock.setTimeout(() => {}, i * 0.1);
await clock.runUntilIdle(timers + 10);
const refMs = performance.now() - t1;

const out = {
  scenario,
  simulated_min: minutes,
  ticks,
  bench_wall_ms: Math.round(simMs),
  ticks_per_s: Math.round(ticks / (simMs / 1000)),
  us_per_tick: Math.round((simMs * 1000) / ticks),
  reference_timers: timers,
  reference_wall_ms: Math.round(refMs),
  ratio_to_reference: Math.round((simMs / refMs) * 100) / 100,
};
if (json) console.log(JSON.stringify(out));
else {
  console.log(`simulator: ${scenario}, ${minutes} simulated minutes, both paths`);
  console.log(`  bench:     ${out.bench_wall_ms} ms wall, ${ticks} ticks → ${out.ticks_per_s} ticks/s (${out.us_per_tick} µs/tick)`);
  console.log(`  reference: ${out.reference_wall_ms} ms for ${timers} empty VirtualClock timers`);
  console.log(`  ratio:     ${out.ratio_to_reference}× the bare event loop`);
}
