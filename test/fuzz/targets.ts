/**
 * Every parser the user or the network feeds, as fuzz targets: the scenario, prod.yaml, gates and md_cache
 * config readers (YAML text and parsed documents), the duration and flag parsers, the JSONL replay reader,
 * the results.json loader (and what `gate`/`report` then do with a loaded file), the WebSocket message and
 * REST response validators of the sources, and HTTP requests / WebSocket control messages to the exchange.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import { parseDuration } from '../../src/core/duration.js';
import { durationFlag, intFlag } from '../../src/cli/options.js';
import { parseConfig, parseYaml } from '../../src/config/load.js';
import { parseScenario, createMarket, loadScenario } from '../../src/scenario/scenario.js';
import { parseProdConfig } from '../../src/ops/prod-config.js';
import { parseGatesDocument } from '../../src/gates/spec.js';
import { evaluateGates } from '../../src/gates/evaluate.js';
import { parseResults } from '../../src/report/results-file.js';
import { parseReplay } from '../../src/market/jsonl.js';
import { generateLines } from '../../src/scenario/generate.js';
import { parseDepthSnapshot, parseExchangeInfo, parseWsMessage } from '../../src/net/validate.js';
import { TardisConverter } from '../../src/market/tardis.js';
import type { Exchange } from '../../src/exchange/server.js';
import { mutatedDoc, mutatedJsonLine, mutatedLines, mutatedText, type FuzzTarget } from './harness.js';

const root = join(import.meta.dirname, '../..');
const text = (p: string): string => readFileSync(join(root, p), 'utf8');

const SCENARIO_FILES = ['scenarios/baseline.yaml', 'scenarios/flaky-ws.yaml', 'scenarios/ci.yaml', 'scenarios/many-symbols.yaml'];
const scenarioTexts = SCENARIO_FILES.map(text);
const prodText = text('examples/prod.yaml');
const resultsText = text('test/fixtures/results-pass.json');

/** Either a fully random string or a mutated valid one. */
const textInput = (valids: string[]): fc.Arbitrary<string> => fc.oneof({ weight: 1, arbitrary: fc.string({ maxLength: 200 }) }, { weight: 4, arbitrary: fc.constantFrom(...valids).chain(mutatedText) });
const docInput = (valids: unknown[]): fc.Arbitrary<unknown> => fc.oneof({ weight: 1, arbitrary: fc.anything({ maxDepth: 3 }) }, { weight: 5, arbitrary: fc.constantFrom(...valids).chain(mutatedDoc) });

/** A scenario that parses must also build its market and run a moment (what `bench` does next). */
function useScenario(sc: ReturnType<typeof parseScenario>): void {
  const feed = createMarket(sc, { seed: sc.seed });
  feed.advanceTo(50);
}

// a small recorded stream (2 symbols, faults on) to mutate
const replayText = (() => {
  const sc = loadScenario('flaky-ws');
  let out = '';
  generateLines({ scenario: { ...sc, symbols: { list: sc.symbols.list ? sc.symbols.list.slice(0, 2) : [] } }, durationMs: 2000 }, (c) => (out += c));
  return out;
})();
const replayLines = replayText.split('\n').filter(Boolean);

// Tardis CSV (mdcache import): the committed fixtures, mutated line-wise, byte-wise and field-wise
const tardisInc = text('test/fixtures/tardis/binance_incremental_book_L2_BTCUSDT.csv');
const tardisSnap = text('test/fixtures/tardis/binance_book_snapshot_5_BTCUSDT.csv');
const HOSTILE_FIELDS = ['', '-1', '0', '1e999', '1e-30', 'NaN', 'Infinity', 'true', 'false', 'bid', 'ask', 'BTCUSDT', 'ETHUSDT', '99999999999999999999', '0.000000000000000000001', '1.', '.5', '"', '1,2', 'x'.repeat(5000), '61000.005', '61000.05e0'];
function mutatedCsvFields(valid: string): fc.Arbitrary<string> {
  const lines = valid.split('\n');
  return fc.array(fc.tuple(fc.nat({ max: lines.length - 1 }), fc.nat({ max: 40 }), fc.oneof(fc.constantFrom(...HOSTILE_FIELDS), fc.string({ maxLength: 6 }))), { minLength: 1, maxLength: 4 }).map((edits) => {
    const ls = lines.slice();
    for (const [i, col, v] of edits) {
      const f = ls[i]!.split(',');
      f[col % f.length] = v;
      ls[i] = f.join(',');
    }
    return ls.join('\n');
  });
}
const csvInput = (valid: string): fc.Arbitrary<string> => fc.oneof({ weight: 3, arbitrary: mutatedCsvFields(valid) }, { weight: 2, arbitrary: mutatedLines(valid) }, { weight: 2, arbitrary: mutatedText(valid) }, { weight: 1, arbitrary: fc.string({ maxLength: 200 }) });

/** A converter error is a clear rejection; its output failing the replay reader would be a converter bug (a crash). */
function importAndReplay(kind: 'incremental' | 'snapshots', csv: string): void {
  const out: string[] = [];
  const c = new TardisConverter({ symbols: [{ symbol: 'BTCUSDT', tickSize: '0.01' }], emit: (l) => out.push(l) });
  csv.split('\n').forEach((l, i) => (kind === 'incremental' ? c.incrementalLine('fuzz.csv', i + 1, l) : c.snapshotLine('fuzz.csv', i + 1, l)));
  const st = c.finish('fuzz.csv');
  const header = JSON.stringify({ type: 'header', format: 'mdcache-events/1', scenario: 'imported', seed: 0, start_ms: 0, duration_ms: st.lastT, symbols: c.symbols.map((s) => ({ symbol: s.symbol, tick_size: s.tickSize, price: s.price, qty_decimals: st.qtyDecimals })) });
  let feed;
  try {
    feed = parseReplay([header, ...out].join('\n'), 'imported.jsonl');
  } catch (err) {
    throw new Error(`the imported recording does not replay: ${(err as Error).message}`);
  }
  feed.advanceTo(feed.endTime);
  feed.snapshot('BTCUSDT', 5);
}

// network bodies: exchangeInfo / depth / depthUpdate, as the loopback exchange sends them
const infoBody = {
  timezone: 'UTC',
  serverTime: 1,
  symbols: [
    {
      symbol: 'BTCUSDT',
      status: 'TRADING',
      filters: [
        { filterType: 'PRICE_FILTER', minPrice: '0.01', maxPrice: '1000000.00', tickSize: '0.01' },
        { filterType: 'LOT_SIZE', minQty: '0.00001', maxQty: '9000', stepSize: '0.00001' },
      ],
    },
  ],
};
const info = parseExchangeInfo(infoBody);
const btc = info.get('BTCUSDT')!;
const depthBody = { lastUpdateId: 1027024, bids: [['65000.00', '1.5'], ['64999.99', '0.3']], asks: [['65000.01', '2'], ['65000.05', '0.1']] };
const event = { e: 'depthUpdate', E: 1672515782136, s: 'BTCUSDT', U: 157, u: 160, b: [['65000.00', '10']], a: [['65000.02', '0']] };
const wsTexts = [JSON.stringify(event), JSON.stringify({ stream: 'btcusdt@depth@100ms', data: event }), JSON.stringify({ result: null, id: 1 }), JSON.stringify({ error: { code: 2, msg: 'x' }, id: 1 })];
const bySymbolLower = new Map([['btcusdt', 'BTCUSDT']]);

export function parserTargets(): FuzzTarget<any>[] {
  return [
    {
      name: 'scenario YAML text (reader + market build)',
      arb: textInput(scenarioTexts),
      run: (s: string) => useScenario(parseScenario(s, 'fuzz.yaml')),
    },
    {
      name: 'scenario document (structure-aware)',
      arb: docInput(scenarioTexts.map((t) => parseYaml(t))),
      run: (d: unknown) => useScenario(parseScenario(d, 'fuzz.yaml')),
    },
    {
      name: 'prod.yaml text',
      arb: textInput([prodText]),
      run: (s: string) => parseProdConfig(s, 'prod.yaml'),
    },
    {
      name: 'prod.yaml document (structure-aware)',
      arb: docInput([parseYaml(prodText), { source: { type: 'replay', file: 'x.jsonl' } }, { source: { type: 'binance', rest_url: 'http://127.0.0.1:1', ws_url: 'ws://127.0.0.1:1', symbols: ['BTCUSDT'] } }]),
      run: (d: unknown) => parseProdConfig(d, 'prod.yaml'),
    },
    {
      name: 'gates file',
      arb: docInput([{ gates: (parseYaml(prodText) as { gates: unknown }).gates }, { gates: [{ name: 'x', metric: 'cached.cache.hit_ratio', op: '>=', value: 0.5, severity: 'warn' }] }]),
      run: (d: unknown) => parseGatesDocument(d, 'gates.yaml'),
    },
    {
      name: 'md_cache config (--config)',
      arb: docInput([{ md_cache: { enabled: true, ttl_ms: 100, stale_ok: true, max_stale_ms: 1000, retry: { max_attempts: 2, backoff_ms: 10 } } }]),
      run: (d: unknown) => parseConfig(d, 'config.yaml'),
    },
    {
      name: 'duration parser (--duration, YAML durations)',
      arb: fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('30m', '1h', '5s', '100ms', '1.5h', '-1s', '1e9h', '99999h', '0', '1 m', 'm', '1mm', '１m'), fc.tuple(fc.double(), fc.constantFrom('ms', 's', 'm', 'h', 'd', '')).map(([n, u]) => `${n}${u}`)),
      run: (s: string) => {
        const ms = parseDuration(s);
        if (ms !== undefined && !(Number.isFinite(ms) && ms >= 0)) throw new Error(`parseDuration('${s}') = ${ms}`);
        return durationFlag('--duration')(s);
      },
    },
    {
      name: 'integer flags (--seed, --port, --symbols …)',
      arb: fc.oneof(fc.string({ maxLength: 24 }), fc.integer().map(String), fc.double().map(String), fc.bigInt().map(String)),
      run: (s: string) => {
        const n = intFlag('--seed', 0, Number.MAX_SAFE_INTEGER)(s);
        if (!Number.isSafeInteger(n)) throw new Error(`intFlag('${s}') = ${n}`);
      },
    },
    {
      name: 'JSONL replay (reader + replay to the end)',
      arb: fc.oneof({ weight: 3, arbitrary: mutatedLines(replayText) }, { weight: 3, arbitrary: fc.tuple(fc.nat({ max: replayLines.length - 1 }), fc.constant(null)).chain(([i]) => mutatedJsonLine(replayLines[i]!).map((l) => replayLines.map((x, j) => (j === i ? l : x)).join('\n'))) }, { weight: 1, arbitrary: fc.string({ maxLength: 200 }) }),
      run: (s: string) => {
        const feed = parseReplay(s, 'fuzz.jsonl');
        feed.advanceTo(feed.time + 10_000);
        for (const i of feed.instruments) feed.snapshot(i.symbol, 5);
      },
    },
    {
      name: 'Tardis CSV (mdcache import + replay of the result)',
      arb: fc.oneof(csvInput(tardisInc).map((t) => ['incremental', t] as const), csvInput(tardisSnap).map((t) => ['snapshots', t] as const)),
      run: ([kind, csv]: readonly ['incremental' | 'snapshots', string]) => importAndReplay(kind, csv),
    },
    {
      name: 'results.json loader (+ gate evaluation)',
      arb: fc.oneof({ weight: 4, arbitrary: docInput([JSON.parse(resultsText)]).map((d) => JSON.stringify(d) ?? 'null') }, { weight: 1, arbitrary: textInput([resultsText]) }),
      run: (s: string) => {
        const r = parseResults(s, 'results.json');
        evaluateGates(r);
      },
    },
    {
      name: 'REST exchangeInfo body',
      arb: docInput([infoBody]),
      run: (d: unknown) => parseExchangeInfo(d),
    },
    {
      name: 'REST depth body',
      arb: docInput([depthBody]),
      run: (d: unknown) => parseDepthSnapshot(d, btc),
    },
    {
      name: 'WebSocket frame (raw, combined, replies)',
      arb: fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...wsTexts).chain(mutatedText) }, { weight: 3, arbitrary: fc.constantFrom(...wsTexts).chain(mutatedJsonLine) }, { weight: 1, arbitrary: fc.string({ maxLength: 100 }) }),
      run: (s: string) => parseWsMessage(s, info, bySymbolLower),
    },
  ];
}

// ------------------------------------------------------------------ the exchange over real sockets

function httpGet(ex: Exchange, method: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: ex.host, port: ex.port, method, path, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** A server-side failure seen by a client: no answer, a 5xx, or a body that is not {code,msg}. */
class ExchangeCrash extends Error {}

const pathSeg = fc.constantFrom('/api/v3/depth', '/api/v3/exchangeInfo', '/api/v3/time', '/api/v3/ping', '/_truth', '/', '//', '/%', '/api/v3/depth/', '/x');
const qKey = fc.constantFrom('symbol', 'limit', 'id', 'x', '', 'symbol[]', '%');
const qVal = fc.oneof(fc.constantFrom('BTCUSDT', 'SOLUSDT', 'btcusdt', '', '5', '1', '0', '5000', '6000', '-1', '1e3', 'abc', '%ZZ', '%00', '99999999999999999999', '1.5', 'NaN'), fc.string({ maxLength: 10 }).map(encodeURIComponent), fc.nat().map(String));
const query = fc.array(fc.tuple(qKey, qVal), { maxLength: 4 }).map((kv) => (kv.length ? '?' + kv.map(([k, v]) => `${k}=${v}`).join('&') : ''));

export function exchangeTargets(ex: Exchange, ws: () => WebSocket): FuzzTarget<any>[] {
  return [
    {
      name: 'HTTP requests to the exchange',
      arb: fc.tuple(fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'POST', 'DELETE', 'OPTIONS'), pathSeg, query),
      clear: (err) => err instanceof RejectedRequest,
      run: async ([method, path, q]: [string, string, string]) => {
        const r = await httpGet(ex, method, path + q);
        if (r.status >= 500 || r.status === 0) throw new ExchangeCrash(`${method} ${path}${q}: HTTP ${r.status} ${r.body.slice(0, 80)}`);
        if (r.status >= 400) {
          if (method === 'HEAD') throw new RejectedRequest(`HTTP ${r.status}`); // no body on HEAD
          let b: { code?: unknown; msg?: unknown };
          try {
            b = JSON.parse(r.body) as typeof b;
          } catch {
            throw new ExchangeCrash(`${method} ${path}${q}: HTTP ${r.status} with a body that is not JSON: ${r.body.slice(0, 80)}`);
          }
          if (typeof b.code !== 'number' || typeof b.msg !== 'string') throw new ExchangeCrash(`${method} ${path}${q}: ${r.body.slice(0, 80)}`);
          throw new RejectedRequest(b.msg);
        }
      },
    },
    {
      name: 'WebSocket control messages to the exchange',
      arb: fc.oneof(
        fc.record({ method: fc.constantFrom('SUBSCRIBE', 'UNSUBSCRIBE', 'LIST_SUBSCRIPTIONS', 'X', ''), params: fc.oneof(fc.array(fc.constantFrom('btcusdt@depth', 'solusdt@depth@100ms', 'x@depth', '', 'btcusdt@trade'), { maxLength: 3 }), fc.anything({ maxDepth: 1 })), id: fc.oneof(fc.nat(), fc.string({ maxLength: 4 }), fc.constant(null)) }).map((m) => JSON.stringify(m)),
        fc.string({ maxLength: 60 }),
        fc.json({ maxDepth: 2 }),
      ),
      clear: (err) => err instanceof RejectedRequest,
      run: async (msg: string) => {
        const c = ws();
        if (c.readyState !== WebSocket.OPEN) throw new ExchangeCrash('the control connection was closed by the server');
        const reply = await new Promise<string>((resolve, reject) => {
          const onMsg = (d: Buffer): void => {
            const t = d.toString();
            if (/"depthUpdate"/.test(t)) return; // an event of a stream subscribed earlier
            c.off('message', onMsg);
            clearTimeout(timer);
            resolve(t);
          };
          const timer = setTimeout(() => {
            c.off('message', onMsg);
            reject(new ExchangeCrash(`no reply to ${msg.slice(0, 60)}`));
          }, 3000);
          c.on('message', onMsg);
          c.send(msg);
        });
        const r = JSON.parse(reply) as { error?: { code: number; msg: string }; result?: unknown };
        if (r.error) throw new RejectedRequest(r.error.msg);
        if (!('result' in r)) throw new ExchangeCrash(`unexpected reply ${reply.slice(0, 80)}`);
      },
    },
  ];
}

/** The exchange answered a bad request with a clear 4xx {code,msg} / a WS error reply. */
export class RejectedRequest extends Error {}
