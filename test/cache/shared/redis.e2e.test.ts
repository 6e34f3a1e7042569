/**
 * The shared tier on a real redis-server (started here on a free loopback port, stopped after), with real
 * cache processes: lease contention, invalidation racing a refresh in another process, kill -9 of the lease
 * holder, and Redis killed and restarted mid-run.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { RealClock } from '../../../src/core/clock.js';
import { RedisStore } from '../../../src/cache/shared/redis-store.js';
import type { StoreEvent } from '../../../src/cache/shared/types.js';
import { RedisServer, redisServerPath } from '../../helpers/redis-server.js';
import { ensureBuilt } from '../../helpers/cli.js';
import { Worker } from './redis-workers.js';

const have = redisServerPath() !== undefined;
let server: RedisServer;
let prefixN = 0;
const prefix = (): string => `t${process.pid}-${++prefixN}:`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!have)('shared tier on a real Redis', () => {
  const workers: Worker[] = [];
  const start = async (p: string, cfg: object = {}): Promise<Worker> => {
    const w = await Worker.start(server.url, p, cfg);
    workers.push(w);
    return w;
  };

  beforeAll(async () => {
    ensureBuilt();
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await server?.stop();
  });

  it('store: epoch-fenced writes, leases by token, invalidation notices, conservative ages', async () => {
    const clock = new RealClock();
    const store = new RedisStore({ url: server.url, keyPrefix: prefix(), connectTimeoutMs: 1000, commandTimeoutMs: 500, clock });
    const events: StoreEvent[] = [];
    store.subscribe((e) => events.push(e), () => {});
    await store.ready(3000);
    const r0 = await store.read('S');
    expect(r0.book).toBeUndefined();
    expect(r0.epoch).toBeGreaterThan(1e15); // starts at the server's time in µs
    expect(await store.acquire('S', 'a', 1000)).toBe(true);
    expect(await store.acquire('S', 'b', 1000)).toBe(false);
    expect(await store.release('S', 'b')).toBe(false); // not b's lease
    expect(await store.release('S', 'a')).toBe(true);
    const bytes = new Uint8Array([1, 2, 3, 250]);
    expect(await store.write('S', r0.epoch, bytes, 20, 5, 10_000, 'me')).toBe(true);
    const r1 = await store.read('S');
    expect(r1.epoch).toBe(r0.epoch);
    expect([...r1.book!.bytes]).toEqual([1, 2, 3, 250]);
    expect(r1.book!.depth).toBe(20);
    expect(r1.book!.ageMs).toBeGreaterThanOrEqual(5);
    expect(r1.book!.ageMs).toBeLessThan(1000);
    const e2 = await store.invalidate('S', 'me');
    expect(e2).toBe(r0.epoch + 1);
    expect((await store.read('S')).book).toBeUndefined();
    expect(await store.write('S', r0.epoch, bytes, 20, 0, 10_000, 'me')).toBe(false); // predates the invalidation
    await sleep(50);
    expect(events.map((e) => e.type)).toEqual(['written', 'invalidated']);
    expect(events[1]).toMatchObject({ symbol: 'S', epoch: e2, origin: 'me' });
    await store.close();
  });

  it('4 processes hammering 5 symbols: about one REST refresh per symbol per TTL period for the whole fleet', async () => {
    const p = prefix();
    const ttl = 200;
    const forMs = 3000;
    const ws = await Promise.all([0, 1, 2, 3].map(() => start(p, { ttl_ms: ttl, max_stale_ms: 1000, shared: { command_timeout_ms: 250 } })));
    const syms = ['A', 'B', 'C', 'D', 'E'];
    const loops = await Promise.all(ws.map((w) => w.req({ op: 'loop', syms, everyMs: 5, forMs })));
    for (const l of loops) expect(l.errors).toBe(0);
    const stats = await Promise.all(ws.map((w) => w.req({ op: 'stats' })));
    // Tolerance: per symbol, at most one refresh per TTL period (+1 for the first load and +1 for a period
    // boundary straddling the end), and at least half as many (each refresh takes 20 ms and the L2 age is
    // over-stated by up to a round trip, so periods run a little longer than ttl).
    const periods = forMs / ttl;
    for (const s of syms) {
      const total = stats.reduce((n, x) => n + (x.rest[s] ?? 0), 0);
      expect(total, `REST calls for ${s}`).toBeLessThanOrEqual(periods + 2);
      expect(total, `REST calls for ${s}`).toBeGreaterThanOrEqual(periods / 2);
    }
    const l2Hits = stats.reduce((n, x) => n + x.stats.shared.l2Hits, 0);
    expect(l2Hits).toBeGreaterThan(0);
    // Redis calls time out after 250 ms; on a loaded 2-core machine one may, which costs a short fallback.
    const errs = stats.reduce((n, x) => n + x.stats.shared.errors, 0);
    expect(errs, ws.map((w) => w.stderr.join('')).join('')).toBeLessThanOrEqual(2);
  });

  it('an invalidation racing a refresh in another process: the refresh never satisfies a later get', async () => {
    const p = prefix();
    const cfg = { ttl_ms: 5000, max_stale_ms: 10_000, stale_ok: false };
    const [a, b, c] = [await start(p, cfg), await start(p, cfg), await start(p, cfg)];
    await a.req({ op: 'rest', ms: 400 });
    const slow = a.req({ op: 'get', sym: 'X' }); // A takes the lease and calls REST (400 ms)
    await sleep(100);
    await b.req({ op: 'invalidate', sym: 'X' }); // the epoch moves while A's REST call is in flight
    await sleep(20);
    const got = await c.req({ op: 'get', sym: 'X' }); // after the invalidation, in a third process
    const aGot = await slow;
    expect(aGot.id.startsWith(`${a.pid}-`)).toBe(true); // A's own waiting caller still gets A's result
    expect(got.id.startsWith(`${a.pid}-`), `C got A's pre-invalidation book ${got.id}`).toBe(false);
    expect(got.id.startsWith(`${c.pid}-`)).toBe(true);
    const aStats = (await a.req({ op: 'stats' })).stats.shared;
    expect(aStats.writesRefused).toBe(1);
    // A dropped its own copy (its write was refused) and now reads C's book from L2
    await sleep(50);
    const again = await a.req({ op: 'get', sym: 'X' });
    expect(again.id.startsWith(`${c.pid}-`)).toBe(true);
    expect(again.status).toBe('fresh');
  });

  it('kill -9 of the lease holder: another process refreshes once the lease expires', async () => {
    const p = prefix();
    // A 2 s lease, so that B certainly finds it held however slowly this machine kills A.
    const cfg = { ttl_ms: 1000, stale_ok: false, refresh_timeout_ms: 10_000, shared: { lease_ms: 2000 } };
    const [a, b] = [await start(p, cfg), await start(p, cfg)];
    await a.req({ op: 'rest', ms: 60_000 });
    void a.req({ op: 'get', sym: 'K' });
    // wait until A holds the lease and hangs in its REST call
    for (let i = 0; i < 100 && (await a.req({ op: 'stats' })).rest.K !== 1; i++) await sleep(20);
    await a.stop(); // SIGKILL
    const t0 = Date.now();
    const got = await b.req({ op: 'get', sym: 'K' });
    const waited = Date.now() - t0;
    expect(got.error).toBeUndefined();
    expect(got.id.startsWith(`${b.pid}-`)).toBe(true);
    // Blocked by the dead holder's lease (2 s) at most, not forever; the bound allows for a loaded machine.
    expect(waited).toBeLessThan(2000 + 1500);
    const st = (await b.req({ op: 'stats' })).stats.shared;
    expect(st.leaseWaits).toBeGreaterThanOrEqual(1);
  });

  it('Redis killed mid-run and restarted: fallback, recovery, no error to callers, staleness bound kept', async () => {
    const p = prefix();
    // command timeout 250 ms: the machine running the suite may be loaded; the point here is the outage.
    const cfg = { ttl_ms: 100, max_stale_ms: 400, refresh_timeout_ms: 200, shared: { command_timeout_ms: 250 } };
    const ws = await Promise.all([0, 1, 2].map(() => start(p, cfg)));
    const loops = Promise.all(ws.map((w) => w.req({ op: 'loop', syms: ['R1', 'R2', 'R3'], everyMs: 5, forMs: 6000 })));
    await sleep(1000);
    const before = await Promise.all(ws.map((w) => w.req({ op: 'stats' })));
    await server.stop(true); // kill -9
    await sleep(1000);
    await server.start(); // same port, empty (no persistence)
    const results = await loops;
    // back in use: wait (bounded) for every process' breaker to close
    let after = await Promise.all(ws.map((w) => w.req({ op: 'stats' })));
    for (let i = 0; i < 50 && after.some((x) => x.stats.shared.fallback !== 0); i++) {
      await sleep(100);
      after = await Promise.all(ws.map((w) => w.req({ op: 'stats' })));
    }
    for (const r of results) {
      expect(r.errors, r.lastError).toBe(0);
      expect(r.maxAgeMs).toBeLessThanOrEqual(400);
    }
    for (let i = 0; i < ws.length; i++) {
      const s = after[i].stats.shared;
      const why = JSON.stringify({ before: before[i].stats.shared, after: s, log: ws[i]!.stderr.join('') });
      expect(s.fallbacks, why).toBeGreaterThanOrEqual(1);
      expect(s.resyncs, why).toBeGreaterThanOrEqual(1);
      expect(s.fallback, why).toBe(0); // back in use
      expect(s.l2Hits, why).toBeGreaterThan(before[i].stats.shared.l2Hits); // L2 hits again after the restart
    }
    expect(ws.some((w) => w.stderr.join('').includes('falling back to L1-only'))).toBe(true);
  });
});
