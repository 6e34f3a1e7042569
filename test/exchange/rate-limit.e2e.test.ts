/**
 * The loopback exchange's weight limit over real HTTP (its time on a VirtualClock, so Retry-After runs out
 * without sleeping): X-MBX-USED-WEIGHT-1M on every response, 429 with Retry-After once over the limit, 418
 * for a client that keeps sending, the ban's end; and BinanceRestSource against it.
 */
import { describe, it, expect } from 'vitest';
import { get as httpGet } from 'node:http';
import { VirtualClock } from '../../src/core/clock.js';
import { BinanceRestSource } from '../../src/net/rest-source.js';
import { RateLimitError } from '../../src/net/errors.js';
import { exchangeFixture, scenario, getJson } from '../net/helpers.js';

const { exchange } = exchangeFixture();
const W = 'x-mbx-used-weight-1m';

describe('exchange weight limit', () => {
  it('X-MBX-USED-WEIGHT-1M on every response; 429 with Retry-After; 418 when sending during it; the ban ends after its Retry-After', async () => {
    const clock = new VirtualClock(0);
    const ex = await exchange({ clock, restFaults: false, weightLimit: 30 });
    const url = ex.restUrl;
    expect(ex.weightLimit).toBe(30);
    const ping = await getJson(`${url}/api/v3/ping`);
    expect(ping.headers.get(W)).toBe('1');
    const info = await getJson(`${url}/api/v3/exchangeInfo`);
    expect(info.headers.get(W)).toBe('21');
    expect(info.body.rateLimits).toEqual([{ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 30 }]);
    // a bad request is not charged but still tells the used weight
    const bad = await getJson(`${url}/api/v3/depth?symbol=NOPE`);
    expect([bad.status, bad.headers.get(W)]).toEqual([400, '21']);
    await clock.advance(1000);
    const d = await getJson(`${url}/api/v3/depth?symbol=BTCUSDT&limit=5`); // weight 5
    expect([d.status, d.headers.get(W)]).toEqual([200, '26']);
    // limit 500 costs 25: over the limit → 429; Retry-After until the exchangeInfo's 20 leaves the window (t = 60 s)
    await clock.advance(9000);
    const over = await getJson(`${url}/api/v3/depth?symbol=BTCUSDT&limit=500`);
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toBe('50');
    expect(over.headers.get(W)).toBe('26');
    expect(over.body.code).toBe(-1003);
    // keeps sending during the Retry-After → banned for 2 minutes
    await clock.advance(1000);
    const ban = await getJson(`${url}/api/v3/ping`);
    expect(ban.status).toBe(418);
    expect(ban.headers.get('retry-after')).toBe('120');
    expect(ban.body.msg).toMatch(/IP banned until \d+/);
    await clock.advance(60_000);
    const still = await getJson(`${url}/api/v3/depth?symbol=BTCUSDT&limit=5`);
    expect([still.status, still.headers.get('retry-after')]).toEqual([418, '60']);
    expect(still.headers.get(W)).toBe('0');
    // /_truth (not Binance) is never limited
    expect((await getJson(`${url}/_truth?symbol=BTCUSDT`)).status).toBe(200);
    await clock.advance(60_000);
    const after = await getJson(`${url}/api/v3/depth?symbol=BTCUSDT&limit=5`);
    expect([after.status, after.headers.get(W)]).toEqual([200, '5']);
    expect(ex.stats().rest).toMatchObject({ rateLimited: 1, banned: 2 });
  });

  it("without a limit nothing is refused and the used weight is still sent; the scenario's rest.rate_limit is the default, weightLimit null overrides it", async () => {
    const clock = new VirtualClock(0);
    const free = await exchange({ clock, restFaults: false });
    expect(free.weightLimit).toBeNull();
    for (let i = 0; i < 3; i++) expect((await getJson(`${free.restUrl}/api/v3/depth?symbol=BTCUSDT&limit=5000`)).status).toBe(200);
    expect((await getJson(`${free.restUrl}/api/v3/ping`)).headers.get(W)).toBe(String(3 * 250 + 1));
    const limited = await exchange({ clock, restFaults: false, scenario: scenario({ rest: { rate_limit: { weight_per_min: 100 } } }) });
    expect(limited.weightLimit).toBe(100);
    const off = await exchange({ clock, restFaults: false, scenario: scenario({ rest: { rate_limit: { weight_per_min: 100 } } }), weightLimit: null });
    expect(off.weightLimit).toBeNull();
  });

  it('BinanceRestSource: a 429 then stops the source for its Retry-After (no request sent), and it recovers after it', async () => {
    const clock = new VirtualClock(0);
    const ex = await exchange({ clock, restFaults: false, weightLimit: 30 });
    const src = new BinanceRestSource({ baseUrl: ex.restUrl, clock });
    await src.fetch('BTCUSDT', 5); // exchangeInfo 20 + depth 5
    await src.fetch('BTCUSDT', 5); // 30
    const e = await src.fetch('BTCUSDT', 5).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RateLimitError);
    expect((e as RateLimitError).status).toBe(429);
    expect((e as RateLimitError).retryAfterMs).toBe(60_000);
    const sent = ex.stats().rest.requests;
    const local = await src.fetch('SOLUSDT', 5).catch((x: unknown) => x);
    expect((local as RateLimitError).local).toBe(true);
    expect(ex.stats().rest.requests).toBe(sent); // nothing reached the exchange: no ban
    await clock.advance(60_000);
    await expect(src.fetch('BTCUSDT', 5)).resolves.toBeDefined();
    expect(ex.stats().rest.banned).toBe(0);
  });
});

describe('exchange REST clients', () => {
  it('the weight window of a client gone quiet is dropped once per window; a banned client is kept', async () => {
    const clock = new VirtualClock(0);
    const ex = await exchange({ clock, restFaults: false, weightLimit: 30 });
    const port = Number(new URL(ex.restUrl).port);
    /** GET from a given loopback address (Linux routes all of 127/8 to lo). */
    const getFrom = (localAddress: string, path: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = httpGet({ host: '127.0.0.1', port, path, localAddress }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
      });
    expect(await getFrom('127.0.0.2', '/api/v3/ping')).toBe(200);
    expect(await getFrom('127.0.0.3', '/api/v3/depth?symbol=BTCUSDT&limit=500')).toBe(200); // weight 25
    expect(await getFrom('127.0.0.3', '/api/v3/depth?symbol=BTCUSDT&limit=500')).toBe(429);
    expect(await getFrom('127.0.0.3', '/api/v3/ping')).toBe(418); // banned (sent during the Retry-After)
    expect(ex.stats().restClients).toBe(2);
    await clock.advance(61_000); // both windows empty; .3 still banned (2 min)
    expect(await getFrom('127.0.0.4', '/api/v3/ping')).toBe(200); // a request sweeps: .2 is dropped
    expect(ex.stats().restClients).toBe(2); // .3 (banned) and .4
    await clock.advance(3 * 60_000); // the ban is over, but .3 was banned once: kept
    expect(await getFrom('127.0.0.4', '/api/v3/ping')).toBe(200);
    expect(ex.stats().restClients).toBe(2);
  });
});
