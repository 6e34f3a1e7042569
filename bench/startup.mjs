#!/usr/bin/env node
/**
 * Startup time of the CLI and of the library's root import, against `node -e 0`, in one run.
 *
 *   node                  node -e 0 (the floor: starting node itself)
 *   version               node bin/mdcache.js --version
 *   help                  node bin/mdcache.js --help
 *   bench_help            node bin/mdcache.js bench --help (loads the bench command and the simulator)
 *   import_root           node --input-type=module -e "await import('mdcache')" (the cache engine)
 *
 * Usage: npm run bench:startup [-- --rounds N] [--json]
 * The cases run interleaved, one process each per round (round i runs every case once, in a rotated order),
 * so a noisy neighbour on a shared machine hits every case alike. Reported per case: median, min, p90 wall ms;
 * and the ratio to `node -e 0`: the median over rounds of (case / node in the same round), with the range of
 * the middle 80 % of rounds. Needs a build (runs bin/mdcache.js → dist/).
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const json = args.includes('--json');
const i = args.indexOf('--rounds');
const ROUNDS = i >= 0 ? Number(args[i + 1]) : 30;

const CASES = {
  node: ['-e', '0'],
  version: ['bin/mdcache.js', '--version'],
  help: ['bin/mdcache.js', '--help'],
  bench_help: ['bin/mdcache.js', 'bench', '--help'],
  import_root: ['--input-type=module', '-e', "await import('mdcache')"],
};
const names = Object.keys(CASES);

function runOnce(argv) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const times = Object.fromEntries(names.map((n) => [n, []]));
for (const n of names) runOnce(CASES[n]); // warm the file cache
for (let r = 0; r < ROUNDS; r++) {
  for (let k = 0; k < names.length; k++) {
    const n = names[(k + r) % names.length];
    times[n].push(runOnce(CASES[n]));
  }
}

const sorted = (a) => [...a].sort((x, y) => x - y);
const q = (a, p) => sorted(a)[Math.min(a.length - 1, Math.floor(p * a.length))];
const med = (a) => q(a, 0.5);
const out = { machine: `${os.cpus()[0]?.model ?? '?'} × ${os.cpus().length}, node ${process.version}, load ${os.loadavg()[0].toFixed(1)}`, rounds: ROUNDS, cases: {} };
for (const n of names) {
  const ratios = times[n].map((t, r) => t / times.node[r]);
  out.cases[n] = {
    median_ms: +med(times[n]).toFixed(1),
    min_ms: +q(times[n], 0).toFixed(1),
    p90_ms: +q(times[n], 0.9).toFixed(1),
    ratio_to_node: +med(ratios).toFixed(2),
    ratio_p10: +q(ratios, 0.1).toFixed(2),
    ratio_p90: +q(ratios, 0.9).toFixed(2),
  };
}
if (json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
else {
  console.log(`startup, ${ROUNDS} interleaved rounds — ${out.machine}`);
  console.log('case          median ms   min ms   p90 ms   × node -e 0 (median, p10–p90 of per-round ratios)');
  for (const n of names) {
    const c = out.cases[n];
    console.log(`${n.padEnd(12)} ${String(c.median_ms).padStart(10)} ${String(c.min_ms).padStart(8)} ${String(c.p90_ms).padStart(8)}   ${c.ratio_to_node.toFixed(2)}× (${c.ratio_p10.toFixed(2)}–${c.ratio_p90.toFixed(2)})`);
  }
}
