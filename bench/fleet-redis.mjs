#!/usr/bin/env node
/**
 * Fleet REST weight with and without the shared Redis tier, on a real redis-server (started here on a free
 * loopback port, stopped after) and real processes:
 *
 *   N worker processes × S symbols, each ticking at the baseline rate (5 Hz ± 20 %, one get per symbol per
 *   tick) with the baseline md_cache (ttl 100 ms, stale_ok) against a fake REST call (lognormal p50 20 ms /
 *   p95 55 ms, depth 50 → weight 5). Fleet REST weight per minute is counted with the shared tier off and on.
 *
 * Then, in this process: the Redis round trip on loopback (p50/p99 of the tier's commands) and the latency
 * of an L1 miss served from L2 (a 50-level OrderBook through the binary codec) against an L1 hit.
 *
 * Usage: npm run build && node bench/fleet-redis.mjs [--processes 8] [--symbols 20] [--seconds 30] [--json]
 */
import { fork, spawn, execFileSync } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { RealClock } from '../dist/core/clock.js';
import { mdCacheConfig } from '../dist/config/md-cache.js';
import { MDCache } from '../dist/cache/md-cache.js';
import { redisTierFor } from '../dist/cache/shared/index.js';
import { OrderBook } from '../dist/market/book.js';
import { parseTickSize } from '../dist/market/ticks.js';
import { bookCodec } from '../dist/market/book-codec.js';

const args = process.argv.slice(2);
const arg = (flag, def) => {
  const i = args.indexOf(flag);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : def;
};
const WEIGHT = 5; // GET /api/v3/depth, limit 1–100
const clock = new RealClock();
const sleep = (ms) => new Promise((r) => clock.setTimeout(r, ms));

function lognormal(p50, p95) {
  const sigma = (Math.log(p95) - Math.log(p50)) / 1.6448536269514722;
  const u = Math.random() || 1e-12;
  const v = Math.random();
  return Math.exp(Math.log(p50) + sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
}

function book(symbol, id) {
  const n = 50;
  const bt = Array.from({ length: n }, (_, i) => 6_500_000 - i);
  const at = Array.from({ length: n }, (_, i) => 6_500_001 + i);
  const q = Array.from({ length: n }, (_, i) => 1.5 + i / 7);
  return OrderBook.fromLevels({ symbol, tick: parseTickSize('0.01'), qtyDecimals: 5, lastUpdateId: id }, bt, q, at, q);
}

// ------------------------------------------------------------------------------------------------ worker
if (args[0] === 'worker') {
  const [, url, symbolsN, seconds, shared] = args;
  const symbols = Array.from({ length: Number(symbolsN) }, (_, i) => `S${i}USDT`);
  const base = { enabled: true, ttl_ms: 100, stale_ok: true, max_inflight_refresh: 1 };
  const config = mdCacheConfig(shared === '1' ? { ...base, shared: { type: 'redis', url, key_prefix: `bench${process.ppid}:`, lease_ms: 250, connect_timeout_ms: 2000, command_timeout_ms: 100, breaker_reset_ms: 500 } } : base);
  let rest = 0;
  let n = 0;
  const t = redisTierFor(config, { clock, codec: bookCodec, registry: null });
  if (t) await t.store.ready(5000);
  const cache = new MDCache(config, {
    clock,
    registry: null,
    shared: t?.tier,
    refresh: (sym) => {
      rest++;
      return new Promise((r) => clock.setTimeout(() => r(book(sym, ++n)), Math.min(1000, lognormal(20, 55))));
    },
  });
  process.send({ ready: true });
  await new Promise((r) => process.once('message', r)); // go
  const end = clock.now() + Number(seconds) * 1000;
  let errors = 0;
  while (clock.now() < end) {
    for (const s of symbols) cache.get(s).catch(() => errors++);
    await sleep(200 * (0.8 + 0.4 * Math.random()));
  }
  const st = cache.stats();
  process.send({ rest, errors, shared: st.shared ?? null });
  cache.close();
  await sleep(50);
  process.exit(0);
}

// ------------------------------------------------------------------------------------------------ parent
const processes = Number(arg('--processes', '8'));
const symbolsN = Number(arg('--symbols', '20'));
const seconds = Number(arg('--seconds', '30'));

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}
function ping(port) {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.on('error', () => resolve(false));
    c.on('connect', () => c.write('PING\r\n'));
    c.on('data', (d) => {
      c.destroy();
      resolve(String(d).startsWith('+PONG'));
    });
  });
}

const bin = execFileSync('sh', ['-c', 'command -v redis-server || true'], { encoding: 'utf8' }).trim();
if (!bin) {
  console.error('redis-server is not installed (apt-get install -y redis-server)');
  process.exit(2);
}
const port = await freePort();
const redis = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
const url = `redis://127.0.0.1:${port}`;
try {
  while (!(await ping(port))) await sleep(20);

  async function fleet(shared) {
    const self = fileURLToPath(import.meta.url);
    const ws = Array.from({ length: processes }, () => fork(self, ['worker', url, String(symbolsN), String(seconds), shared ? '1' : '0']));
    await Promise.all(ws.map((w) => new Promise((r) => w.once('message', r))));
    const done = ws.map((w) => new Promise((r) => w.once('message', r)));
    for (const w of ws) w.send('go');
    const out = await Promise.all(done);
    const rest = out.reduce((a, o) => a + o.rest, 0);
    return { rest, weightPerMin: Math.round((rest * WEIGHT * 60) / seconds), errors: out.reduce((a, o) => a + o.errors, 0), shared: out.map((o) => o.shared) };
  }

  const off = await fleet(false);
  const on = await fleet(true);

  // L2 round trip and L1-miss-from-L2 latency, in this process.
  const mk = (origin) => {
    const config = mdCacheConfig({ enabled: true, ttl_ms: 60_000, max_stale_ms: 120_000, shared: { type: 'redis', url, key_prefix: 'probe:', lease_ms: 250, connect_timeout_ms: 2000, command_timeout_ms: 200, breaker_reset_ms: 500 } });
    const t = redisTierFor(config, { clock, codec: bookCodec, registry: null, origin });
    return { t, cache: new MDCache(config, { clock, registry: null, shared: t.tier, refresh: async (s) => book(s, 1) }) };
  };
  const a = mk('a');
  const b = mk('b');
  await Promise.all([a.t.store.ready(5000), b.t.store.ready(5000)]);
  const N = 2000;
  const l2 = [];
  const l1 = [];
  for (let i = 0; i < N; i++) {
    const s = `P${i}`;
    await a.cache.get(s);
    await sleep(3); // A's background L2 write lands
    let t0 = performance.now();
    const r = await b.cache.get(s);
    l2.push(performance.now() - t0);
    if (r.status !== 'fresh') throw new Error(`expected an L2 hit, got ${r.status}`);
    t0 = performance.now();
    await b.cache.get(s);
    l1.push(performance.now() - t0);
  }
  const pct = (xs, p) => {
    const s = [...xs].sort((x, y) => x - y);
    return +s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)].toFixed(3);
  };
  const rtt = b.cache.stats().shared.rttMs;
  a.cache.close();
  b.cache.close();
  const result = {
    processes,
    symbols: symbolsN,
    seconds,
    weightPerMin: { l1Only: off.weightPerMin, shared: on.weightPerMin, ratio: +(on.weightPerMin / off.weightPerMin).toFixed(3), budget: 6000 },
    errors: { l1Only: off.errors, shared: on.errors },
    sharedErrors: on.shared.reduce((n, s) => n + s.errors, 0),
    redisRttMs: { p50: rtt.p50, p99: rtt.p99, count: rtt.count },
    l1MissFromL2Ms: { p50: pct(l2, 50), p99: pct(l2, 99) },
    l1HitMs: { p50: pct(l1, 50), p99: pct(l1, 99) },
  };
  if (args.includes('--json')) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(`fleet: ${processes} processes × ${symbolsN} symbols, ${seconds} s each way, baseline tick rate (5 Hz ± 20 %), ttl 100 ms`);
    console.log(`  REST weight/min  L1 only: ${off.weightPerMin}   shared tier: ${on.weightPerMin}   ratio ${result.weightPerMin.ratio}   (Binance budget 6000)`);
    console.log(`  caller errors    L1 only: ${off.errors}   shared: ${on.errors};  shared-tier errors: ${result.sharedErrors}`);
    console.log(`  Redis round trip (loopback): p50 ${rtt.p50} ms, p99 ${rtt.p99} ms (${rtt.count} commands)`);
    console.log(`  L1 miss served from L2 (50-level book): p50 ${result.l1MissFromL2Ms.p50} ms, p99 ${result.l1MissFromL2Ms.p99} ms; L1 hit p50 ${result.l1HitMs.p50} ms`);
  }
} finally {
  redis.kill('SIGTERM');
  await new Promise((r) => redis.once('exit', r));
}
process.exit(0);
