#!/usr/bin/env node
/**
 * Simulator throughput. Runs a virtual-time bench (both paths) `--rounds` times and reports, with the spread
 * over rounds (median, min, max): wall time, ticks/s, µs per tick, and how many times faster than real time
 * the simulated duration ran. With `--jobs N` the symbols are sharded across N worker threads (results are
 * identical for any N); the peak V8 heap of each worker is reported. A reference in the same run: the same
 * number of bare VirtualClock timers with no work in them (the floor the discrete-event loop itself costs).
 *
 * Usage: npm run build && npm run bench:sim [-- --json] [--scenario baseline] [--duration-min 30]
 *        [--symbols N] [--jobs N] [--rounds 3]
 *   e.g. npm run bench:sim -- --scenario many-symbols --symbols 1000 --jobs 2 --rounds 1
 */
import { getHeapStatistics } from 'node:v8';
import { performance } from 'node:perf_hooks';
import { availableParallelism, loadavg, cpus } from 'node:os';
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
const symbols = arg('--symbols', undefined) === undefined ? undefined : Number(arg('--symbols'));
const jobsArg = arg('--jobs', undefined);
const jobs = jobsArg === undefined ? undefined : Number(jobsArg);
const rounds = Number(arg('--rounds', '3'));

const bench = loadBenchScenario(scenario);
const runs = [];
for (let r = 0; r < rounds; r++) {
  let heap = 0;
  const t0 = performance.now();
  const { results } = await runBench({
    bench,
    durationMs: minutes * 60_000,
    symbols,
    jobs,
    gates: null,
    run: { id: 'bench', command: 'bench', version: '', host: '' },
    onProgress: () => (heap = Math.max(heap, getHeapStatistics().used_heap_size)),
  });
  const wallMs = performance.now() - t0;
  heap = Math.max(heap, getHeapStatistics().used_heap_size);
  const ticks = results.paths.uncached.ticks + results.paths.cached.ticks;
  runs.push({
    wallMs,
    ticks,
    refreshes: results.paths.cached.cache.refreshes,
    uncachedTicks: results.paths.uncached.ticks,
    symbolCount: results.scenario.symbol_count ?? (Array.isArray(results.scenario.symbols) ? results.scenario.symbols.length : 1),
    shards: results.run.shards ?? 1,
    workerHeapMb: results.run.worker_peak_heap_mb ?? null,
    mainHeapMb: Math.round(heap / 1e5) / 10,
  });
}

// Reference: as many empty VirtualClock timers as the run fired (one arrival per tick, one stage sleep per
// completed tick and path, one REST sleep per uncached fetch and per cache refresh), kept pending as a run
// keeps them: 4 chains per symbol, each timer arming the next (a heap of a few thousand timers, not all of
// them at once), advanced one simulated second at a time, on one thread.
const r0 = runs[0];
const timers = r0.uncachedTicks + r0.ticks + r0.uncachedTicks + r0.refreshes;
const chains = 4 * r0.symbolCount;
const clock = new VirtualClock(0);
let armed = 0;
const arm = (k) => {
  if (armed >= timers) return;
  armed++;
  clock.setTimeout(() => arm(k), 1 + (k % 97) / 10);
};
const t1 = performance.now();
for (let k = 0; k < chains; k++) arm(k);
while (clock.pending() > 0) await clock.advanceTo(clock.now() + 1000);
const refMs = performance.now() - t1;

const stat = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor((s.length - 1) / 2)], min: s[0], max: s[s.length - 1] };
};
const round = (o, k = 1) => Object.fromEntries(Object.entries(o).map(([n, v]) => [n, Math.round(v * k) / k]));
const wall = stat(runs.map((x) => x.wallMs));
const out = {
  scenario,
  symbols: symbols ?? null,
  simulated_min: minutes,
  jobs: jobs ?? null,
  shards: r0.shards,
  rounds,
  ticks: r0.ticks,
  wall_ms: round(wall),
  ticks_per_s: round(stat(runs.map((x) => x.ticks / (x.wallMs / 1000)))),
  us_per_tick: round(stat(runs.map((x) => (x.wallMs * 1000) / x.ticks)), 10),
  x_real_time: round(stat(runs.map((x) => (minutes * 60_000) / x.wallMs))),
  worker_peak_heap_mb: r0.workerHeapMb === null ? null : Math.max(...runs.map((x) => x.workerHeapMb)),
  main_peak_heap_mb: Math.max(...runs.map((x) => x.mainHeapMb)),
  reference_timers: timers,
  reference_wall_ms: Math.round(refMs),
  ratio_to_reference: Math.round((wall.median / refMs) * 100) / 100,
  machine: { cores: availableParallelism(), cpu: cpus()[0]?.model ?? '?', loadavg_1m: Math.round(loadavg()[0] * 100) / 100 },
};
if (json) console.log(JSON.stringify(out));
else {
  const m = (s, u = '') => `${s.median}${u} (min ${s.min}, max ${s.max})`;
  console.log(`simulator: ${scenario}${symbols ? ` × ${symbols} symbols` : ''}, ${minutes} simulated minutes, both paths, ${rounds} round(s), ${jobs ? `--jobs ${jobs} → ${out.shards} shard(s)` : 'one thread'}`);
  console.log(`  wall:        ${m(out.wall_ms, ' ms')}`);
  console.log(`  throughput:  ${m(out.ticks_per_s)} ticks/s, ${m(out.us_per_tick, ' µs')} per tick (${out.ticks} ticks)`);
  console.log(`  real time:   ${m(out.x_real_time, '×')}`);
  console.log(`  peak heap:   main ${out.main_peak_heap_mb} MB${out.worker_peak_heap_mb !== null ? `, worker ${out.worker_peak_heap_mb} MB` : ''}`);
  console.log(`  reference:   ${out.reference_wall_ms} ms for ${timers} empty VirtualClock timers (${out.ratio_to_reference}× the bare event loop)`);
  console.log(`  machine:     ${out.machine.cores} cores, ${out.machine.cpu}, load average (1 min) ${out.machine.loadavg_1m} at the end`);
}
