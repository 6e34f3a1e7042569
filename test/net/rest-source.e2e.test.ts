/** BinanceRestSource against the loopback exchange: validated books, typed errors, Retry-After, timeouts, aborts. */
import { describe, it, expect, afterEach } from 'vitest';
import { RealClock } from '../../src/core/clock.js';
import { TimeoutError } from '../../src/core/errors.js';
import { startExchange, type ExchangeOptions } from '../../src/exchange/server.js';
import { BinanceRestSource, depthLimit, parseRetryAfter } from '../../src/net/rest-source.js';
import { MalformedError, NetworkError, RateLimitError, RestError } from '../../src/net/errors.js';
import { parseDepthEvent, parseExchangeInfo, parseWsMessage } from '../../src/net/validate.js';
import { feedOf, scenario, truthAt, wire, norm } from './helpers.js';
import { waitUntil } from '../helpers/wait.js';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function setup(o: Partial<ExchangeOptions> = {}, timeoutMs = 1000) {
  const clock = new RealClock();
  const ex = await startExchange({ scenario: scenario(), clock, ...o });
  open.push(ex);
  return { ex, clock, src: new BinanceRestSource({ baseUrl: ex.restUrl, clock, timeoutMs }) };
}

describe('BinanceRestSource', () => {
  it('returns validated books equal to the truth at their id, cut to depth, takenAt on the clock', async () => {
    const { ex, clock, src } = await setup();
    await fetch(`${ex.restUrl}/_truth?symbol=SOLUSDT`);
    const before = clock.now();
    const book = await src.fetch('SOLUSDT', 1000);
    expect(book.takenAt).toBeGreaterThanOrEqual(before);
    expect(book.takenAt).toBeLessThanOrEqual(clock.now());
    const truth = await truthAt(ex.restUrl, 'SOLUSDT', book.lastUpdateId);
    expect(wire(book)).toEqual({ lastUpdateId: truth.lastUpdateId, bids: norm(truth.bids), asks: norm(truth.asks) });
    const top = await src.fetch('BTCUSDT', 7);
    expect(top.bidCount).toBe(7);
    expect(depthLimit(7)).toBe(10);
    expect(depthLimit(6000)).toBe(5000);
    await expect(src.fetch('NOPE', 10)).rejects.toMatchObject({ name: 'RestError', status: 400, code: -1121 });
    expect(src.stats()).toMatchObject({ ok: 2, errors: 0 });
  });

  it('429 → RateLimitError with retryAfterMs; calls during Retry-After fail fast without a request', async () => {
    const { ex, src } = await setup({ scenario: scenario({ rest: { error_rate: 1 } }), retryAfterS: 0.3 });
    let rl: RateLimitError | undefined;
    let five = 0;
    for (let i = 0; i < 30 && !rl; i++) {
      try {
        await src.fetch('BTCUSDT', 10);
      } catch (err) {
        if (err instanceof RateLimitError) rl = err;
        else if (err instanceof RestError && err.status >= 500) five++;
        else throw err;
      }
    }
    expect(rl).toBeInstanceOf(RateLimitError);
    expect(rl!.retryAfterMs).toBe(300);
    expect(rl!.status).toBe(429);
    expect(rl!.code).toBe(-1003);
    const sent = ex.stats().rest.requests;
    const fast = await src.fetch('BTCUSDT', 10).catch((e: unknown) => e);
    expect(fast).toBeInstanceOf(RateLimitError);
    expect((fast as RateLimitError).retryAfterMs).toBeGreaterThan(0);
    expect((fast as RateLimitError).retryAfterMs).toBeLessThanOrEqual(300);
    expect(ex.stats().rest.requests).toBe(sent);
    expect(src.stats().coolingDown).toBe(1);
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.25')).toBe(250);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT')).toBeUndefined();
    expect(five + 1).toBeGreaterThan(0);
  });

  it('waitOnRateLimit waits out Retry-After before sending', async () => {
    const { ex, clock } = await setup({ scenario: scenario({ rest: { error_rate: 1 } }), retryAfterS: 0.2 });
    const src = new BinanceRestSource({ baseUrl: ex.restUrl, clock, waitOnRateLimit: true });
    let t429 = -1;
    for (let i = 0; i < 30 && t429 < 0; i++) await src.fetch('BTCUSDT', 5).catch((e: unknown) => (e instanceof RateLimitError ? (t429 = clock.now()) : undefined));
    expect(t429).toBeGreaterThan(0);
    await src.fetch('BTCUSDT', 5).catch(() => undefined);
    expect(clock.now() - t429).toBeGreaterThanOrEqual(190);
  });

  it('timeouts, caller aborts and network errors are typed', async () => {
    const { ex, src } = await setup({ scenario: scenario({ rest: { latency: { model: 'constant', ms: 500 }, timeout_ms: 100 } }) }, 100);
    const t0 = performance.now();
    await expect(src.fetch('BTCUSDT', 10)).rejects.toBeInstanceOf(TimeoutError);
    expect(performance.now() - t0).toBeLessThan(450);
    const ac = new AbortController();
    const slow = new BinanceRestSource({ baseUrl: ex.restUrl, clock: new RealClock(), timeoutMs: 5000 });
    const r0 = ex.stats().rest.requests;
    const p = slow.fetch('BTCUSDT', 10, ac.signal);
    // abort while the depth request is in flight: once the exchange has received it (after exchangeInfo)
    await waitUntil('the depth request to reach the exchange', () => ex.stats().rest.requests >= r0 + 2, [feedOf(ex)]);
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(slow.stats().aborted).toBe(1);
    const port = Number(new URL(ex.restUrl).port);
    await ex.close();
    const dead = new BinanceRestSource({ baseUrl: `http://127.0.0.1:${port}`, clock: new RealClock() });
    await expect(dead.fetch('BTCUSDT', 10)).rejects.toBeInstanceOf(NetworkError);
  });

  it('malformed snapshots → MalformedError (truncated JSON, numbers, off-grid prices, missing fields)', async () => {
    const { src } = await setup({ malformedRate: 1 });
    for (let i = 0; i < 12; i++) await expect(src.fetch('BTCUSDT', 5)).rejects.toBeInstanceOf(MalformedError);
    expect(src.stats().malformed).toBe(12);
  });
});

describe('validation', () => {
  const info = parseExchangeInfo({ symbols: [{ symbol: 'BTCUSDT', filters: [{ filterType: 'PRICE_FILTER', minPrice: '0.01000000', maxPrice: '1000000.00000000', tickSize: '0.01000000' }] }] });
  const lower = new Map([['btcusdt', 'BTCUSDT']]);
  const ev = { e: 'depthUpdate', E: 1, s: 'BTCUSDT', U: 10, u: 12, b: [['100.01', '1.5']], a: [['100.02', '0']] };

  it('accepts a Binance event (tick "0.01000000" normalised) and rejects every kind of corruption', () => {
    expect(info.get('BTCUSDT')!.tickSize).toBe('0.01');
    expect(parseDepthEvent(ev, info).changes).toEqual([0, 10001, 1.5, 1, 10002, 0]);
    expect(parseWsMessage(JSON.stringify({ stream: 'btcusdt@depth', data: ev }), info, lower)).toMatchObject({ kind: 'depth' });
    expect(parseWsMessage('{"result":null,"id":1}', info, lower)).toEqual({ kind: 'reply', id: 1, result: null });
    const bad: unknown[] = [
      { ...ev, b: [[100.01, 1.5]] },
      { ...ev, b: [['100.015', '1']] },
      { ...ev, b: [['1e3', '1']] },
      { ...ev, a: [['100.02', '-1']] },
      { ...ev, U: 13 },
      { ...ev, u: undefined },
      { ...ev, e: 'trade' },
      { ...ev, s: 'ETHUSDT' },
      { ...ev, b: [['10000000.00', '1']] },
      { ...ev, b: 'x' },
    ];
    for (const b of bad) expect(() => parseDepthEvent(b, info)).toThrow(MalformedError);
    expect(() => parseWsMessage('{"stream":"btcusdt@depth","data":', info, lower)).toThrow(MalformedError);
    expect(() => parseWsMessage(JSON.stringify({ stream: 'ethusdt@depth', data: ev }), info, lower)).toThrow(MalformedError);
    expect(() => parseWsMessage('[1,2]', info, lower)).toThrow(MalformedError);
  });
});
