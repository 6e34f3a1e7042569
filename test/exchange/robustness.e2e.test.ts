/**
 * Regression tests of the loopback exchange defects found with ccxt and hostile requests (issue #15,
 * items 15–19 and 27): no request crashes the server, `/ws/<anything>`, any depth limit 1–5000, one level per
 * price per side per frame, epoch-ms times, per-interval aggregation, a cap on inbound frames.
 */
import { describe, it, expect } from 'vitest';
import { request } from 'node:http';
import { WebSocket } from 'ws';
import { WS_MAX_PAYLOAD, type Exchange } from '../../src/exchange/server.js';
import { exchangeFixture, scenario, waitFor, getJson } from '../net/helpers.js';

const { exchange, sockets } = exchangeFixture();

function client(url: string): { ws: WebSocket; msgs: any[]; opened: Promise<void>; closed: Promise<number> } {
  const ws = new WebSocket(url);
  sockets.push(ws);
  const msgs: any[] = [];
  ws.on('message', (d) => msgs.push(JSON.parse(d.toString())));
  ws.on('error', () => undefined);
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_q, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  return { ws, msgs, opened, closed };
}

/** A raw HTTP request (any method, any path bytes) → status and body text. */
function raw(ex: Exchange, method: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: ex.host, port: ex.port, method, path }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const duplicatePrices = (levels: [string, string][]): number => levels.length - new Set(levels.map((l) => l[0])).size;

describe('exchange robustness (issue #15)', () => {
  it('#15: hostile parameters are 4xx {code,msg}, a failing handler is 500 {code,msg}, the server keeps serving', async () => {
    const ex = await exchange();
    const paths = [
      '/_truth?symbol=BTCUSDT&limit=abc',
      '/_truth?symbol=BTCUSDT&limit=-1',
      '/_truth?symbol=BTCUSDT&limit=1e400',
      '/_truth?symbol=BTCUSDT&id=abc',
      '/_truth?symbol=BTCUSDT&id=99999999999999999999',
      '/_truth?symbol=BTCUSDT&id=-3',
      '/_truth?symbol=',
      '/api/v3/depth?symbol=BTCUSDT&limit=99999999999999999999999',
      '/api/v3/depth?symbol=BTCUSDT&limit=%ZZ',
      '/api/v3/depth?symbol=%00',
      '/api/v3/exchangeInfo?symbol=' + 'A'.repeat(5000),
      '//',
      '/%',
    ];
    for (const p of paths) {
      const r = await raw(ex, 'GET', p);
      expect(r.status, p).toBeGreaterThanOrEqual(400);
      expect(r.status, p).toBeLessThan(500);
      const body = JSON.parse(r.body);
      expect(typeof body.code, p).toBe('number');
      expect(typeof body.msg, p).toBe('string');
    }
    for (const m of ['POST', 'DELETE', 'PUT']) expect((await raw(ex, m, '/api/v3/depth?symbol=BTCUSDT')).status).toBe(405);
    expect(ex.stats().rest.internalErrors).toBe(0);

    // a handler that throws (the feed fails) → 500 {code,msg}, the server survives
    const ex2 = await exchange();
    const feed = ex2.feed as unknown as { snapshot: (...a: unknown[]) => unknown };
    const real = feed.snapshot;
    feed.snapshot = () => {
      throw new Error('boom');
    };
    const r = await getJson(`${ex2.restUrl}/_truth?symbol=BTCUSDT`);
    expect(r.status).toBe(500);
    expect(r.body).toEqual({ code: -1000, msg: expect.any(String) });
    const d = await getJson(`${ex2.restUrl}/api/v3/depth?symbol=BTCUSDT&limit=5`); // held (2 ms latency) then fails in the timer
    expect(d.status).toBe(500);
    feed.snapshot = real;
    expect(ex2.stats().rest.internalErrors).toBe(2);
    expect((await getJson(`${ex2.restUrl}/api/v3/depth?symbol=BTCUSDT&limit=5`)).status).toBe(200);
  });

  it('#16: /ws/<anything> opens a raw connection (ccxt layout); SUBSCRIBE on it delivers events', async () => {
    const ex = await exchange({ streamIntervalsMs: { depth: 50 } });
    const c = client(`${ex.wsUrl}/ws/0a1b2c3d`);
    await c.opened;
    c.ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['btcusdt@depth'], id: 7 }));
    await waitFor(() => c.msgs.some((m) => m.e === 'depthUpdate'), 'events after SUBSCRIBE', [[c.ws, 'message']]);
    expect(c.msgs[0]).toEqual({ result: null, id: 7 });
    // a stream name in the path still subscribes; unknown ones beside it are ignored
    const d = client(`${ex.wsUrl}/ws/solusdt@depth/whatever`);
    await d.opened;
    await waitFor(() => d.msgs.some((m) => m.s === 'SOLUSDT'), 'SOLUSDT events', [[d.ws, 'message']]);
  });

  it('#17: depth limit is any whole number 1–5000 (larger ones truncated to 5000)', async () => {
    const ex = await exchange();
    const one = await getJson(`${ex.restUrl}/api/v3/depth?symbol=BTCUSDT&limit=1`);
    expect(one.status).toBe(200);
    expect(one.body.bids.length).toBe(1);
    expect(one.body.asks.length).toBe(1);
    const seven = await getJson(`${ex.restUrl}/api/v3/depth?symbol=BTCUSDT&limit=7`);
    expect(seven.body.bids.length).toBe(7);
    const big = await getJson(`${ex.restUrl}/api/v3/depth?symbol=BTCUSDT&limit=6000`);
    expect(big.status).toBe(200);
    expect(big.body.bids.length).toBeGreaterThan(7);
    expect((await getJson(`${ex.restUrl}/api/v3/depth?symbol=BTCUSDT&limit=0`)).body.code).toBe(-1130);
  });

  it('#18: one level per price per side in every frame, even merged (a busy market, both streams, per-event frames too)', async () => {
    const busy = scenario({ market: { update_rate_hz: 400, diffusion_ticks: 2 } });
    for (const streamIntervalsMs of [{}, { depth: 0, depth100ms: 0 }]) {
      const ex = await exchange({ scenario: busy, streamIntervalsMs });
      const c = client(`${ex.wsUrl}/stream?streams=btcusdt@depth@100ms/solusdt@depth@100ms/btcusdt@depth`);
      await c.opened;
      await waitFor(() => c.msgs.filter((m) => m.stream === 'btcusdt@depth').length >= 2 && c.msgs.length > 20, 'frames on every stream', [[c.ws, 'message']], 10_000);
      let dup = 0;
      let levels = 0;
      for (const m of c.msgs) {
        dup += duplicatePrices(m.data.b) + duplicatePrices(m.data.a);
        levels += m.data.b.length + m.data.a.length;
      }
      expect(levels).toBeGreaterThan(100);
      expect(dup).toBe(0);
      await ex.close();
    }
  });

  it('#19: E and serverTime are epoch ms; @depth@100ms is one frame per 100 ms, @depth one per second', async () => {
    const epochMs = 1_700_000_000_000;
    const ex = await exchange({ epochMs });
    expect(ex.epochMs).toBe(epochMs);
    const c = client(`${ex.wsUrl}/stream?streams=btcusdt@depth@100ms/btcusdt@depth`);
    await c.opened;
    await waitFor(() => c.msgs.filter((m) => m.stream === 'btcusdt@depth').length >= 3, 'three 1 s frames', [[c.ws, 'message']], 10_000);
    const t = (await getJson(`${ex.restUrl}/api/v3/time`)).body.serverTime;
    expect(t).toBeGreaterThanOrEqual(epochMs + 2000);
    expect(t).toBeLessThan(epochMs + 60_000);
    expect((await getJson(`${ex.restUrl}/api/v3/exchangeInfo`)).body.serverTime).toBeGreaterThanOrEqual(t);
    for (const [stream, iv] of [['btcusdt@depth@100ms', 100], ['btcusdt@depth', 1000]] as const) {
      const frames = c.msgs.filter((m) => m.stream === stream).map((m) => m.data);
      for (const f of frames) {
        expect(f.E).toBeGreaterThan(epochMs);
        expect(f.E).toBeLessThanOrEqual(t);
      }
      for (let i = 1; i < frames.length; i++) {
        expect(frames[i].U).toBe(frames[i - 1].u + 1); // contiguous: no fault in this scenario
        expect(frames[i].E - frames[i - 1].E).toBeGreaterThanOrEqual(iv * 0.7); // one frame per interval (timer jitter allowed)
      }
      // 40 events/s per symbol: a 1 s frame merges ~40 events, a 100 ms frame ~4
      const span = frames.slice(1).map((f: any) => f.u - f.U + 1);
      expect(Math.max(...span)).toBeGreaterThan(iv === 1000 ? 20 : 2);
    }
    // default: epoch of the wall clock
    const now = await exchange();
    const st = (await getJson(`${now.restUrl}/api/v3/time`)).body.serverTime;
    expect(Math.abs(st - Date.now())).toBeLessThan(5000);
  });

  it('#27: an inbound frame larger than WS_MAX_PAYLOAD closes that connection with 1009; the server keeps serving', async () => {
    const ex = await exchange();
    const c = client(`${ex.wsUrl}/ws`);
    await c.opened;
    c.ws.send(Buffer.alloc(WS_MAX_PAYLOAD + 1, 0x20));
    expect(await c.closed).toBe(1009);
    const d = client(`${ex.wsUrl}/ws`);
    await d.opened;
    d.ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: Array.from({ length: 1024 }, (_, i) => (i % 2 ? 'btcusdt@depth' : 'solusdt@depth@100ms')), id: 1 }));
    await waitFor(() => d.msgs.some((m) => m.id === 1), 'reply to a 1024-stream SUBSCRIBE', [[d.ws, 'message']]);
    expect(d.msgs.find((m) => m.id === 1)).toEqual({ result: null, id: 1 });
  });
});
