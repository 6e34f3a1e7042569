/** A 418 (banned) stops every request of the source until its Retry-After ends, and a later 429 never shortens it. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RealClock, VirtualClock } from '../../src/core/clock.js';
import { BinanceRestSource } from '../../src/net/rest-source.js';
import { RateLimitError } from '../../src/net/errors.js';

const servers: Server[] = [];
afterEach(async () => {
  while (servers.length) {
    const s = servers.pop()!;
    await new Promise<void>((r) => s.close(() => r()));
  }
});

/** A venue stub answering each request with the next scripted status and Retry-After (seconds). */
async function venue(script: Array<[number, string]>): Promise<{ url: string; paths: string[] }> {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    const [status, retryAfter] = script[Math.min(paths.length - 1, script.length - 1)]!;
    res.writeHead(status, { 'content-type': 'application/json', 'retry-after': retryAfter });
    res.end(JSON.stringify({ code: -1003, msg: status === 418 ? 'banned' : 'too many requests' }));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, paths };
}

describe('BinanceRestSource and a 418 ban', () => {
  it('blocks every symbol without sending a request until the ban ends', async () => {
    const v = await venue([[418, '60']]);
    const src = new BinanceRestSource({ baseUrl: v.url, clock: new RealClock(), timeoutMs: 2000 });
    const first = await src.fetch('BTCUSDT', 10).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(RateLimitError);
    expect((first as RateLimitError).status).toBe(418);
    expect((first as RateLimitError).retryAfterMs).toBe(60_000);
    const sent = v.paths.length;
    for (const sym of ['BTCUSDT', 'ETHUSDT', 'SOLUSDT']) {
      const e = await src.fetch(sym, 10).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(RateLimitError);
      expect((e as RateLimitError).status).toBe(418);
      expect((e as RateLimitError).retryAfterMs).toBeGreaterThan(59_000);
    }
    expect(v.paths.length).toBe(sent); // nothing reached the venue during the ban
    expect(src.stats().coolingDown).toBe(3);
  });

  it('a 429 with a shorter Retry-After does not shorten a running 418 ban', async () => {
    // the 429 comes first (short), then the ban; a third request must not happen
    const v = await venue([[429, '0.05'], [418, '30'], [429, '0.05']]);
    // virtual time for the source's Retry-After bookkeeping: no wall-clock sleep to let the 429 run out
    const clock = new VirtualClock(0);
    const src = new BinanceRestSource({ baseUrl: v.url, clock, timeoutMs: 2000 });
    const a = await src.fetch('BTCUSDT', 10).catch((e: unknown) => e);
    expect((a as RateLimitError).status).toBe(429);
    await clock.advanceTo(80); // the 429's Retry-After is over
    const b = await src.fetch('BTCUSDT', 10).catch((e: unknown) => e);
    expect((b as RateLimitError).status).toBe(418);
    const c = await src.fetch('ETHUSDT', 10).catch((e: unknown) => e);
    expect((c as RateLimitError).status).toBe(418);
    expect((c as RateLimitError).retryAfterMs).toBeGreaterThan(29_000);
    expect(v.paths.length).toBe(2);
  });
});
