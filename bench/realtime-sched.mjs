#!/usr/bin/env node
/**
 * The real-clock scheduler at 1,000 ticks/s: runs bench/realtime-1k.yaml (10 symbols × 100 fixed ticks/s, no
 * stages, on_busy: queue) on the real clock — what `mdcache bench --realtime` does — and prints the catch-up
 * scheduler's lateness (start − scheduled time of every arrival, `scheduler_lateness_ms` in results.json),
 * the ticks started against the number scheduled, the ticks dropped at the end, and what the process did
 * meanwhile: CPU used (share of one core) and the event loop's own delay (perf_hooks monitorEventLoopDelay,
 * sampled every 1 ms) — the floor under any timer-driven scheduler on this machine.
 *
 *
 * Alongside it, in a separate node process for the same time, a reference: an empty 1 kHz schedule driven
 * by the same catch-up rule (one setTimeout to the next due time, every due slot taken when it fires) and
 * nothing else to do — the lateness the host gives any node timer at that moment (OS scheduling on a
 * shared machine, the 1 ms timer granularity). The two lateness figures are from the same interval.
 *
 * Usage: npm run build && npm run bench:realtime [-- --duration-s 60] [--rate 100] [--symbols 10] [--json]
 * Real time: the run takes --duration-s seconds (default 60).
 */
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { loadBenchScenario, runBench } from '../dist/sim/index.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const arg = (flag, def) => {
  const i = args.indexOf(flag);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : def;
};
const seconds = arg('--duration-s', 60);
const rate = arg('--rate', 100);
const symbols = arg('--symbols', 10);

const bench = loadBenchScenario(fileURLToPath(new URL('./realtime-1k.yaml', import.meta.url)));
bench.pipeline.ticks.rate_hz = rate;
// The reference: an empty 1 kHz catch-up schedule in its own process, for the same seconds.
const REFERENCE = `
  const { performance } = require('node:perf_hooks');
  const end = ${seconds} * 1000, late = [];
  const t0 = performance.now();
  let next = 1;
  const wake = () => {
    const now = performance.now() - t0;
    while (next <= now && next < end) { late.push(now - next); next += 1; }
    if (next < end) setTimeout(wake, next - (performance.now() - t0));
    else {
      late.sort((a, b) => a - b);
      const q = (p) => Math.round(late[Math.min(late.length - 1, Math.floor(p * late.length))] * 1000) / 1000;
      process.stdout.write(JSON.stringify({ count: late.length, p50: q(0.5), p90: q(0.9), p99: q(0.99), p999: q(0.999), max: q(1) }));
    }
  };
  setTimeout(wake, 1);
`;
const refChild = spawn(process.execPath, ['-e', REFERENCE], { stdio: ['ignore', 'pipe', 'inherit'] });
let refOut = '';
refChild.stdout.setEncoding('utf8').on('data', (c) => (refOut += c));
const refDone = new Promise((resolve) => refChild.on('close', resolve));

const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
const cpu0 = process.cpuUsage();
const wall0 = process.hrtime.bigint();
const { results } = await runBench({ bench, durationMs: seconds * 1000, symbols, realtime: true, gates: null, run: { id: 'bench-realtime', command: 'bench:realtime', version: '', host: '' } });
const wallS = Number(process.hrtime.bigint() - wall0) / 1e9;
const cpu = process.cpuUsage(cpu0);
loop.disable();

await refDone;
const reference = JSON.parse(refOut);
const l = results.scheduler_lateness_ms;
const scheduled = Math.floor(seconds * rate - 1e-9) * symbols; // fixed arrivals at 1/rate, 2/rate, … < duration
const started = l.count;
const ms = (ns) => Math.round(ns / 1e3) / 1e3;
const out = {
  machine: `${os.cpus()[0]?.model ?? '?'} × ${os.cpus().length}, node ${process.version}, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`,
  ticks_per_s: rate * symbols,
  duration_s: seconds,
  scheduled,
  started,
  scheduler_lateness_ms: l,
  dropped_at_end: { uncached: results.paths.uncached.dropped_at_end, cached: results.paths.cached.dropped_at_end },
  completed: { uncached: results.paths.uncached.ticks, cached: results.paths.cached.ticks },
  wall_s: Math.round(wallS * 100) / 100,
  cpu_share_of_one_core: Math.round(((cpu.user + cpu.system) / 1e6 / wallS) * 1000) / 1000,
  reference_empty_schedule_lateness_ms: reference,
  event_loop_delay_ms: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) },
};
if (json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
else {
  console.log(`real-clock scheduler, ${out.ticks_per_s} ticks/s for ${seconds} s — ${out.machine}`);
  console.log(`arrivals started: ${started} of ${scheduled} scheduled`);
  console.log(`scheduler lateness (ms): p50 ${l.p50}  p90 ${l.p90}  p99 ${l.p99}  p99.9 ${l.p999}  max ${l.max}  mean ${l.mean}`);
  console.log(`reference, an empty 1 kHz catch-up schedule in another node process at the same time (ms): p50 ${reference.p50}  p90 ${reference.p90}  p99 ${reference.p99}  p99.9 ${reference.p999}  max ${reference.max}`);
  console.log(`ticks completed: uncached ${out.completed.uncached}, cached ${out.completed.cached}; dropped at end: uncached ${out.dropped_at_end.uncached}, cached ${out.dropped_at_end.cached}`);
  console.log(`process: ${(out.cpu_share_of_one_core * 100).toFixed(1)} % of one core; event-loop delay (ms) p50 ${out.event_loop_delay_ms.p50}, p99 ${out.event_loop_delay_ms.p99}, max ${out.event_loop_delay_ms.max}; wall ${out.wall_s} s`);
}
