#!/usr/bin/env node
/**
 * Why the simulator's REST snapshots take their Float64Array from a slab (src/market/f64-slab.ts): allocating
 * a book-sized typed array (default 200 doubles: 50 levels a side, ticks + quantities) with its own backing
 * store vs a view on a shared slab vs a plain JS array, keeping the last 500 alive as a cache would. Rounds are
 * interleaved; reports ns per allocation (median and spread) and the ratio to `new Float64Array` per round.
 *
 * Usage: npm run build && node bench/book-alloc.mjs [--len 200] [--rounds 7]
 */
import { performance } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import { slabFloat64 } from '../dist/market/f64-slab.js';

const args = process.argv.slice(2);
const arg = (f, d) => (args.includes(f) ? Number(args[args.indexOf(f) + 1]) : d);
const LEN = arg('--len', 200);
const ROUNDS = arg('--rounds', 7);
const N = 300_000;
const KEEP = 500;

const cases = {
  typed_array_own_buffer: () => new Float64Array(LEN),
  slab_view: () => slabFloat64(LEN),
  js_array: () => new Array(LEN).fill(0),
};
function run(make) {
  const held = new Array(KEEP);
  let s = 0;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const a = make();
    a[0] = i;
    held[i % KEEP] = a;
    s += a[0];
  }
  if (s <= 0) throw new Error('unreachable');
  return ((performance.now() - t0) * 1e6) / N;
}
const names = Object.keys(cases);
for (const n of names) run(cases[n]); // warm-up
const ns = Object.fromEntries(names.map((n) => [n, []]));
const ratio = Object.fromEntries(names.map((n) => [n, []]));
for (let r = 0; r < ROUNDS; r++) {
  const round = {};
  for (const n of names) round[n] = run(cases[n]);
  for (const n of names) {
    ns[n].push(round[n]);
    ratio[n].push(round.typed_array_own_buffer / round[n]);
  }
}
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`book-sized Float64Array (${LEN} doubles) allocation, ${ROUNDS} interleaved rounds of ${N.toLocaleString()}, ${KEEP} kept alive (load ${loadavg()[0].toFixed(1)})`);
for (const n of names) {
  console.log(
    `${n.padEnd(24)} ${med(ns[n]).toFixed(0).padStart(6)} ns (${Math.min(...ns[n]).toFixed(0)}–${Math.max(...ns[n]).toFixed(0)})   ` +
      `${med(ratio[n]).toFixed(2)}x faster than own buffer (${Math.min(...ratio[n]).toFixed(2)}–${Math.max(...ratio[n]).toFixed(2)})`,
  );
}
