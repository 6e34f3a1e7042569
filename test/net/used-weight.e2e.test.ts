/**
 * #14: BinanceRestSource keeps the venue's `X-MBX-USED-WEIGHT-1M` (its rolling minute's used weight, whole IP)
 * from every response that carries it — 2xx and 429 alike — for the mm_md_rest_used_weight_1m gauge.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealClock } from '../../src/core/clock.js';
import { RateLimitError } from '../../src/net/errors.js';
import { BinanceRestSource } from '../../src/net/rest-source.js';
import { parseExchangeInfo } from '../../src/net/validate.js';

const info = parseExchangeInfo({
  timezone: 'UTC',
  serverTime: 1,
  symbols: [{ symbol: 'BTCUSDT', status: 'TRADING', filters: [{ filterType: 'PRICE_FILTER', minPrice: '0.01', maxPrice: '1000000.00', tickSize: '0.01' }] }],
});
const depth = JSON.stringify({ lastUpdateId: 7, bids: [['65000.00', '1.5']], asks: [['65000.01', '2']] });
/** What the next response carries: status and X-MBX-USED-WEIGHT-1M (undefined: no header). */
let next: { status: number; used?: string } = { status: 200 };
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((_req, res) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (next.used !== undefined) headers['x-mbx-used-weight-1m'] = next.used;
    if (next.status === 429) res.writeHead(429, { ...headers, 'retry-after': '0' }).end('{"code":-1003,"msg":"Too many requests"}');
    else res.writeHead(200, headers).end(depth);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('X-MBX-USED-WEIGHT-1M', () => {
  it('is kept from 2xx and 429 responses with the time it arrived; absent or malformed values change nothing', async () => {
    const clock = new RealClock();
    const src = new BinanceRestSource({ baseUrl: url, clock, exchangeInfo: info, defaultRetryAfterMs: 0 });
    next = { status: 200 };
    await src.fetch('BTCUSDT', 5);
    expect(src.usedWeight1m()).toBeUndefined();
    next = { status: 200, used: '25' };
    const before = clock.now();
    await src.fetch('BTCUSDT', 5);
    expect(src.usedWeight1m()!.weight).toBe(25);
    expect(src.usedWeight1m()!.at).toBeGreaterThanOrEqual(before);
    next = { status: 429, used: '6100' };
    await expect(src.fetch('BTCUSDT', 5)).rejects.toBeInstanceOf(RateLimitError);
    expect(src.usedWeight1m()!.weight).toBe(6100);
    for (const bad of ['', 'x', '-3', '1e3', '12.5']) {
      next = { status: 200, used: bad };
      await src.fetch('BTCUSDT', 5);
      expect(src.usedWeight1m()!.weight, bad).toBe(6100);
    }
  });
});
