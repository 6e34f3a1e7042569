import { startExchange } from '/work/wt/robust-e2e/dist/exchange/index.js';
import { parseScenario } from '/work/wt/robust-e2e/dist/scenario/scenario.js';
import WebSocket from 'ws';
const rate = Number(process.argv[2] ?? 40), levels = Number(process.argv[3] ?? 40), iv = Number(process.argv[4] ?? 100);
const sc = parseScenario({ name: 'x', seed: 5, symbols: [{ symbol: 'BTCUSDT', tick_size: '0.01', price: '65000.00', qty_decimals: 5 }, { symbol: 'SOLUSDT', tick_size: '0.001', price: '150.000', qty_decimals: 3 }], market: { update_rate_hz: rate, diffusion_ticks: 1, depth: { levels } }, rest: { latency: { model: 'constant', ms: 2 }, error_rate: 0, timeout_ms: 1000 } }, 't');
const ex = await startExchange({ scenario: sc, streamIntervalsMs: { depth100ms: iv }, maxSendBufferBytes: Number(process.argv[5] ?? 4194304) });
const ws = new WebSocket(`${ex.wsUrl}/stream?streams=btcusdt@depth@100ms/solusdt@depth@100ms`);
let bytes = 0;
ws.on('message', (d) => { bytes += d.length; });
await new Promise((r) => ws.once('open', r));
if (process.argv[6] !== "read") ws.pause();
const t0 = Date.now();
// server-side client
const timer = setInterval(() => {
  console.log(((Date.now() - t0) / 1000).toFixed(1), 's recv', bytes, 'msgs', ex.stats().ws.messages, JSON.stringify(ex.stats().slowClients), ex.clientCount());
}, 1000);
setTimeout(async () => { clearInterval(timer); ws.terminate(); await ex.close(); }, 6000);
