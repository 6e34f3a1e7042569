/** The loopback exchange over real sockets: REST endpoints and errors, WebSocket paths, SUBSCRIBE, pings, faults on the wire. */
import { describe, it, expect, beforeAll } from 'vitest';
import { spawn, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { WebSocket } from 'ws';
import { parseDepthSnapshot, parseExchangeInfo } from '../../src/net/validate.js';
import { MalformedError } from '../../src/net/errors.js';
import { exchangeFixture, scenario, waitFor, getJson, feedOf } from '../net/helpers.js';

const { exchange, sockets } = exchangeFixture();

/** Opens a WebSocket and collects its parsed messages. */
function client(url: string, opts: ConstructorParameters<typeof WebSocket>[2] = {}): { ws: WebSocket; msgs: any[]; opened: Promise<void>; closed: Promise<number> } {
  const ws = new WebSocket(url, opts);
  sockets.push(ws);
  const msgs: any[] = [];
  ws.on('message', (d) => msgs.push(JSON.parse(d.toString())));
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  return { ws, msgs, opened, closed };
}

describe('exchange REST', () => {
  it('ping, time, exchangeInfo with PRICE_FILTER, depth with limits, truth', async () => {
    const ex = await exchange();
    expect(ex.restUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ex.wsUrl).toBe(ex.restUrl.replace('http', 'ws'));
    expect((await getJson(`${ex.restUrl}/api/v3/ping`)).body).toEqual({});
    expect(typeof (await getJson(`${ex.restUrl}/api/v3/time`)).body.serverTime).toBe('number');
    const info = (await getJson(`${ex.restUrl}/api/v3/exchangeInfo`)).body;
    expect(info.symbols.map((s: any) => s.symbol)).toEqual(['BTCUSDT', 'SOLUSDT']);
    expect(info.symbols[1].filters.find((f: any) => f.filterType === 'PRICE_FILTER')).toMatchObject({ tickSize: '0.001', minPrice: '0.001' });
    const parsed = parseExchangeInfo(info);
    const d = await getJson(`${ex.restUrl}/api/v3/depth?symbol=SOLUSDT`);
    expect(d.status).toBe(200);
    const book = parseDepthSnapshot(d.body, parsed.get('SOLUSDT')!);
    expect(book.bidCount).toBeGreaterThan(20);
    expect(book.bidCount).toBeLessThanOrEqual(40);
    expect(book.isCrossed()).toBe(false);
    expect(Object.keys(d.body)).toEqual(['lastUpdateId', 'bids', 'asks']);
    expect(d.body.bids[0][0]).toMatch(/^\d+\.\d{3}$/);
    const d5 = await getJson(`${ex.restUrl}/api/v3/depth?symbol=BTCUSDT&limit=5`);
    expect(d5.body.bids.length).toBe(5);
    expect(d5.body.asks.length).toBe(5);
    const t = await getJson(`${ex.restUrl}/_truth?symbol=BTCUSDT`);
    expect(t.body).toMatchObject({ symbol: 'BTCUSDT' });
    expect(t.body.lastUpdateId).toBeGreaterThanOrEqual(d5.body.lastUpdateId);
    const again = await getJson(`${ex.restUrl}/_truth?symbol=BTCUSDT&id=${t.body.lastUpdateId}`);
    expect(again.body.bids).toEqual(t.body.bids);
  });

  it('errors: unknown symbol -1121, missing symbol, bad limits, unknown endpoint', async () => {
    const ex = await exchange();
    const u = await getJson(`${ex.restUrl}/api/v3/depth?symbol=NOPE`);
    expect(u.status).toBe(400);
    expect(u.body).toEqual({ code: -1121, msg: 'Invalid symbol.' });
    expect((await getJson(`${ex.restUrl}/api/v3/depth`)).body.code).toBe(-1102);
    for (const bad of ['0', '1.5', 'abc', '-5', '', '1e3']) {
      const r = await getJson(`${ex.restUrl}/api/v3/depth?symbol=BTCUSDT&limit=${bad}`);
      expect(r.status).toBe(400);
      expect([-1100, -1130]).toContain(r.body.code);
    }
    for (const ok of [1, 5, 7, 10, 20, 50, 100, 500, 1000, 4999, 5000, 6000]) expect((await getJson(`${ex.restUrl}/api/v3/depth?symbol=BTCUSDT&limit=${ok}`)).status).toBe(200);
    expect((await getJson(`${ex.restUrl}/api/v3/nothing`)).status).toBe(404);
    expect((await getJson(`${ex.restUrl}/api/v3/exchangeInfo?symbol=NOPE`)).body.code).toBe(-1121);
  });

  it('faults: error_rate gives 5xx and 429 with Retry-After; latency beyond timeout_ms holds the response', async () => {
    const ex = await exchange({ scenario: scenario({ rest: { error_rate: 1 } }), retryAfterS: 2 });
    const statuses = new Set<number>();
    for (let i = 0; i < 30; i++) {
      const r = await getJson(`${ex.restUrl}/api/v3/depth?symbol=BTCUSDT`);
      statuses.add(r.status);
      if (r.status === 429) {
        expect(r.headers.get('retry-after')).toBe('2');
        expect(r.body.code).toBe(-1003);
      } else expect(r.status).toBeGreaterThanOrEqual(500);
    }
    expect(statuses.has(429)).toBe(true);
    expect([...statuses].some((s) => s >= 500)).toBe(true);
    const slow = await exchange({ scenario: scenario({ rest: { latency: { model: 'constant', ms: 300 }, timeout_ms: 100 } }) });
    const t0 = performance.now();
    expect((await getJson(`${slow.restUrl}/api/v3/depth?symbol=BTCUSDT`)).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    expect(slow.stats().rest.timeouts).toBe(1);
  });

  it('malformed depth responses fail validation', async () => {
    const ex = await exchange({ malformedRate: 1 });
    const info = parseExchangeInfo((await getJson(`${ex.restUrl}/api/v3/exchangeInfo`)).body);
    for (let i = 0; i < 12; i++) {
      const r = await fetch(`${ex.restUrl}/api/v3/depth?symbol=BTCUSDT&limit=5`);
      const text = await r.text();
      expect(() => parseDepthSnapshot(JSON.parse(text), info.get('BTCUSDT')!)).toThrow();
      try {
        parseDepthSnapshot(JSON.parse(text), info.get('BTCUSDT')!);
      } catch (err) {
        expect(err instanceof MalformedError || err instanceof SyntaxError).toBe(true);
      }
    }
    expect(ex.stats().rest.malformed).toBe(12);
  });
});

describe('exchange WebSocket', () => {
  it('raw /ws/<symbol>@depth and @depth@100ms: contiguous depthUpdate events', async () => {
    const ex = await exchange({ streamIntervalsMs: { depth: 50, depth100ms: 20 } });
    const a = client(`${ex.wsUrl}/ws/btcusdt@depth`);
    const b = client(`${ex.wsUrl}/ws/solusdt@depth@100ms`);
    await Promise.all([a.opened, b.opened]);
    await waitFor(() => a.msgs.length > 10 && b.msgs.length > 10, 'events on both', [[a.ws, 'message'], [b.ws, 'message']]);
    expect(a.msgs[0]).toMatchObject({ e: 'depthUpdate', s: 'BTCUSDT' });
    expect(Object.keys(a.msgs[0]).sort()).toEqual(['E', 'U', 'a', 'b', 'e', 's', 'u']);
    expect(b.msgs.every((m) => m.s === 'SOLUSDT')).toBe(true);
    for (let i = 1; i < a.msgs.length; i++) expect(a.msgs[i].U).toBe(a.msgs[i - 1].u + 1);
  });

  it('combined /stream?streams=a/b wraps {stream, data}; SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS reply with the id', async () => {
    const ex = await exchange();
    const c = client(`${ex.wsUrl}/stream?streams=btcusdt@depth/solusdt@depth@100ms`);
    await c.opened;
    await waitFor(() => new Set(c.msgs.map((m) => m.stream)).size === 2, 'both streams', [[c.ws, 'message']]);
    expect(c.msgs[0]).toHaveProperty('data.e', 'depthUpdate');
    expect(c.msgs.find((m) => m.stream === 'solusdt@depth@100ms').data.s).toBe('SOLUSDT');

    const s = client(`${ex.wsUrl}/ws`);
    await s.opened;
    s.ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['btcusdt@depth'], id: 1 }));
    await waitFor(() => s.msgs.some((m) => m.id === 1), 'subscribe reply', [[s.ws, 'message']]);
    expect(s.msgs.find((m) => m.id === 1)).toEqual({ result: null, id: 1 });
    await waitFor(() => s.msgs.some((m) => m.e === 'depthUpdate'), 'events after SUBSCRIBE', [[s.ws, 'message']]);
    s.ws.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: 2 }));
    await waitFor(() => s.msgs.some((m) => m.id === 2), 'list reply', [[s.ws, 'message']]);
    expect(s.msgs.find((m) => m.id === 2).result).toEqual(['btcusdt@depth']);
    s.ws.send(JSON.stringify({ method: 'UNSUBSCRIBE', params: ['btcusdt@depth'], id: 3 }));
    await waitFor(() => s.msgs.some((m) => m.id === 3), 'unsubscribe reply', [[s.ws, 'message']]);
    const n = s.msgs.length;
    // after the reply nothing more arrives for this stream: wait for ≥ 10 events on another client
    const probe = c.msgs.length;
    await waitFor(() => c.msgs.length > probe + 10, 'time passing', [[c.ws, 'message']]);
    expect(s.msgs.length).toBe(n);
    s.ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['nope@depth'], id: 4 }));
    s.ws.send('not json');
    await waitFor(() => s.msgs.some((m) => m.id === 4) && s.msgs.some((m) => m.error?.code === 3), 'error replies', [[s.ws, 'message']]);
    expect(s.msgs.find((m) => m.id === 4).error.code).toBe(2);
  });

  it('invalid paths and combined streams are refused at the upgrade', async () => {
    const ex = await exchange();
    for (const path of ['/stream?streams=btcusdt@depth/xx@depth', '/stream?streams=btcusdt@trade', '/other', '/wsx/btcusdt@depth']) {
      const status = await new Promise<number>((resolve) => {
        const ws = new WebSocket(ex.wsUrl + path);
        sockets.push(ws);
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => undefined);
      });
      expect([400, 404]).toContain(status);
    }
  });

  it('pings every interval; a client that does not pong is dropped', async () => {
    const ex = await exchange({ pingIntervalMs: 50, pongTimeoutMs: 300 });
    const good = client(`${ex.wsUrl}/ws/btcusdt@depth`);
    const mute = client(`${ex.wsUrl}/ws/btcusdt@depth`, { autoPong: false });
    let pings = 0;
    mute.ws.on('ping', () => pings++);
    await Promise.all([good.opened, mute.opened]);
    await mute.closed;
    expect(pings).toBeGreaterThan(2);
    expect(ex.stats().ws.droppedNoPong).toBe(1);
    expect(good.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('disconnect fault: sockets terminated, upgrades get 503 until the reconnect', async () => {
    const ex = await exchange({ scenario: scenario({ market: { faults: { disconnect: { rate_hz: 2, min_ms: 300, max_ms: 300 } } } }) });
    const c = client(`${ex.wsUrl}/ws/btcusdt@depth`);
    await c.opened;
    expect(await c.closed).toBe(1006);
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${ex.wsUrl}/ws/btcusdt@depth`);
      sockets.push(ws);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(503);
    await waitFor(async () => {
      const ws = new WebSocket(`${ex.wsUrl}/ws/btcusdt@depth`);
      sockets.push(ws);
      return new Promise<boolean>((resolve) => {
        ws.on('open', () => resolve(true));
        ws.on('unexpected-response', () => resolve(false));
        ws.on('error', () => resolve(false));
      });
    }, 'reconnection accepted', [feedOf(ex)], 5000); // re-tried as the feed moves (the reconnect is a feed message)
  });

  it('seq_gap, out-of-order and crossed faults are visible on the wire', async () => {
    // aggregated per 100 ms on @depth@100ms: a discontinuity is never merged over, so every fault stays visible
    const ex = await exchange({ scenario: scenario({ market: { update_rate_hz: 60, faults: { seq_gap: { rate_hz: 5, events: 1 }, out_of_order: { rate_hz: 5 }, crossed: { rate_hz: 5, ticks: 1 } } } }), streamIntervalsMs: { depth: 100 } });
    const c = client(`${ex.wsUrl}/ws/btcusdt@depth`);
    await c.opened;
    await waitFor(() => c.msgs.length > 150, '150 events', [[c.ws, 'message']], 15_000);
    let gaps = 0;
    let backwards = 0;
    for (let i = 1; i < c.msgs.length; i++) {
      if (c.msgs[i].U > c.msgs[i - 1].u + 1) gaps++;
      if (c.msgs[i].u < c.msgs[i - 1].U) backwards++;
    }
    expect(gaps).toBeGreaterThan(0);
    expect(backwards).toBeGreaterThan(0);
    expect(ex.feed.stats().crossed).toBeGreaterThan(0);
  });
});

describe('mdcache exchange (child process)', () => {
  const root = join(import.meta.dirname, '../..');
  beforeAll(() => {
    // Build dist/ only when it is older than a source file (the usual `tsc && vitest` flow has built it).
    const newest = (dir: string): number => readdirSync(dir, { withFileTypes: true }).reduce((m, e) => Math.max(m, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs), 0);
    const built = join(root, 'dist/cli/commands/exchange.js');
    if (!existsSync(built) || statSync(built).mtimeMs < newest(join(root, 'src'))) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  }, 120_000);

  it('prints one JSON line with its URLs, serves, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [join(root, 'bin/mdcache.js'), 'exchange', '--scenario', 'flaky-ws', '--port', '0', '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => out.includes('\n'), 'the JSON line', [[child.stdout, 'data']], 15_000);
      const line = JSON.parse(out.split('\n')[0]!);
      expect(line).toEqual({ rest: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), ws: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+$/), symbols: ['BTCUSDT', 'SOLUSDT'] });
      expect((await getJson(`${line.rest}/api/v3/ping`)).body).toEqual({});
      const c = client(`${line.ws}/ws/btcusdt@depth`);
      await c.opened;
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(err).toBe('');
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);
});
