/**
 * A WebSocket client that stops reading: the exchange bounds what it queues for it (`maxSendBufferBytes`) and
 * drops it, instead of buffering without limit; a client that reads on the same streams is not touched.
 */
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { WS_MAX_SEND_BUFFER } from '../../src/exchange/server.js';
import { exchangeFixture, scenario } from '../net/helpers.js';
import { waitUntil } from '../helpers/wait.js';

const fx = exchangeFixture();
const STREAMS = 'btcusdt@depth/btcusdt@depth@100ms/solusdt@depth/solusdt@depth@100ms';

async function opened(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  fx.sockets.push(ws);
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

describe('exchange: slow WebSocket readers', () => {
  it('a client that stops reading is dropped once its queue passes the bound; its queue never grows past it; a reading client stays', async () => {
    const bound = 32 * 1024;
    const ex = await fx.exchange({ scenario: scenario({ market: { update_rate_hz: 2000, faults: { seq_gap: { rate_hz: 0 } } } }), streamIntervalsMs: { depth: 0, depth100ms: 0 }, maxSendBufferBytes: bound });
    const reader = await opened(`${ex.wsUrl}/stream?streams=${STREAMS}`);
    let received = 0;
    reader.on('message', () => received++);
    const slow = await opened(`${ex.wsUrl}/stream?streams=${STREAMS}`);
    slow.pause(); // reads nothing more: the kernel buffers fill, then the exchange's queue
    // checked on every frame the reading client gets (the exchange sends both clients the same frames)
    await waitUntil('the exchange to drop the slow reader', () => ex.stats().slowClients.dropped > 0, [[reader, 'message']], 60_000);
    const st = ex.stats();
    expect(st.slowClients.dropped).toBe(1);
    expect(st.slowClients.maxBufferedBytes).toBeGreaterThan(0);
    expect(st.slowClients.maxBufferedBytes).toBeLessThanOrEqual(bound + 1024); // the bound plus the framing of the last frame
    expect(ex.clientCount()).toBe(1);
    expect(reader.readyState).toBe(WebSocket.OPEN);
    const before = received;
    await waitUntil('the reading client to get more frames', () => received > before + 10, [[reader, 'message']]);
  }, 90_000);

  it('the default bound is 4 MiB and a bad bound is refused', async () => {
    expect(WS_MAX_SEND_BUFFER).toBe(4 * 1024 * 1024);
    await expect(fx.exchange({ maxSendBufferBytes: 0 })).rejects.toThrow(/maxSendBufferBytes/);
  });
});
