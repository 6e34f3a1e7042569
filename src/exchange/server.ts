/**
 * A Binance-compatible loopback exchange driven by the seeded generator (MarketSim) on an injected clock
 * (RealClock by default). The feed is advanced to the clock's time on a timer and on every REST request;
 * what the generator delivers goes out on the wire, so the scenario's faults become real protocol faults:
 *   seq_gap / ws_silence      the events are never sent (a gap in U/u, a silent stream on a live socket)
 *   out_of_order              the held event is sent after the one that overtook it
 *   crossed                   the sent event carries a glitched bid above the best ask (corrected later)
 *   disconnect                every WebSocket is terminated; upgrades get HTTP 503 until the reconnect
 *   rest.latency              each depth response is held for a drawn latency
 *   rest.timeout_ms           a drawn latency beyond it holds the response past the timeout
 *   rest.error_rate           5xx (500/502/503) or 429 with Retry-After
 *   malformedRate (option)    a depth response or a WebSocket frame is corrupted (bad JSON, numbers
 *                             instead of strings, off-grid price, missing field)
 *   rest.rate_limit / weightLimit  request weight per rolling minute per client IP, enforced as Binance does
 *                             (../market/rate-limit.ts): 429 with Retry-After, then 418 bans; every REST
 *                             response carries X-MBX-USED-WEIGHT-1M
 *   a slow reader             a WebSocket client whose unsent data passes maxSendBufferBytes is dropped
 *                             (terminated): the server's memory per client stays bounded
 * Endpoints: GET /api/v3/ping, /api/v3/time, /api/v3/exchangeInfo, /api/v3/depth, /_truth (non-Binance);
 * WebSocket /ws/<stream>, /ws, /stream?streams=a/b, /stream with SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, WebSocket } from 'ws';
import { RealClock, wallClockEpochMs, type Clock, type TimerHandle } from '../core/clock.js';
import { rngStream, type Rng } from '../core/rng.js';
import type { OrderBook } from '../market/book.js';
import type { FeedMessage, SymbolInfo } from '../market/feed.js';
import { latencySampler } from '../market/latency.js';
import { priceToTicks, ticksToPrice } from '../market/ticks.js';
import type { MarketSim } from '../market/sim.js';
import type { DepthDiff } from '../market/types.js';
import { createMarket, type Scenario } from '../scenario/scenario.js';
import { RATE_WINDOW_MS, WeightLimiter } from '../market/rate-limit.js';
import { BINANCE_DEPTH_WEIGHTS, requestWeight } from '../market/rest-cost.js';

export const DEPTH_LIMITS = [5, 10, 20, 50, 100, 500, 1000, 5000] as const;
/** Binance spot takes any depth limit 1–5000 (a larger one is truncated to 5000). */
export const MAX_DEPTH_LIMIT = 5000;
/**
 * Largest inbound WebSocket frame the exchange accepts (a control message: SUBSCRIBE with up to 1024
 * stream names fits in ~40 KB). A larger frame closes the connection with 1009 (message too big).
 */
export const WS_MAX_PAYLOAD = 64 * 1024;
/**
 * Default bound of the data queued for one WebSocket client (ws's `bufferedAmount`: written but not yet taken
 * by the kernel). A client that does not read falls behind; past this bound it is dropped, as a venue drops a
 * consumer that cannot keep up, instead of the server buffering without limit.
 */
export const WS_MAX_SEND_BUFFER = 4 * 1024 * 1024;

export interface ExchangeOptions {
  scenario: Scenario;
  /** Seed of the generator and of the exchange's fault draws (default: the scenario's). */
  seed?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (an ephemeral port). */
  port?: number;
  /** Default a RealClock. */
  clock?: Clock;
  /** How often the feed is advanced to the clock's time (default 20 ms). */
  advanceMs?: number;
  /** Server pings every client this often (default 20 s). */
  pingIntervalMs?: number;
  /** A client with no pong for this long is dropped (default 60 s). */
  pongTimeoutMs?: number;
  /** A WebSocket client with more unsent bytes queued than this is dropped as too slow (default WS_MAX_SEND_BUFFER, 4 MiB). */
  maxSendBufferBytes?: number;
  /** Called when a WebSocket client is dropped as too slow (after `stats().slowClients.dropped` counts it). */
  onSlowClientDropped?: () => void;
  /** Probability that a depth response or a WebSocket frame is corrupted (default 0). */
  malformedRate?: number;
  /** Retry-After (seconds) sent with a 429 (default 1; decimals are sent as given, a non-standard extension). */
  retryAfterS?: number;
  /** Apply the scenario's rest block (latency, error_rate, timeouts) to /api/v3/depth (default true). */
  restFaults?: boolean;
  /** Ground-truth books remembered per symbol for `/_truth?id=` (default 4096; recording starts at a symbol's first /_truth request). */
  truthHistory?: number;
  /**
   * Update speed of the diff streams (ms): events of a symbol are merged into one frame per interval,
   * one level per price per side (default `<symbol>@depth` 1000, `<symbol>@depth@100ms` 100, as Binance;
   * 0 = one frame per generated event). A discontinuity (gap, reordering, crossed glitch) is never merged
   * over: the frame so far is sent first, so every fault stays visible on the wire.
   */
  streamIntervalsMs?: { depth?: number; depth100ms?: number };
  /** Epoch milliseconds at feed time 0: `E`, `serverTime` and `/_truth` `time` are epoch ms (default the wall clock at start). */
  epochMs?: number;
  /**
   * Request weight allowed per rolling minute per client IP (429, then 418 bans); default the scenario's
   * `rest.rate_limit.weight_per_min`; `null` = none even when the scenario sets one. Without a limit the used
   * weight is still counted and sent in X-MBX-USED-WEIGHT-1M.
   */
  weightLimit?: number | null;
}

/** Request weights of the endpoints (Binance spot); depth goes by `limit` (the scenario's `rest.weights`). */
export const ENDPOINT_WEIGHTS = { ping: 1, time: 1, exchangeInfo: 20 } as const;
export const USED_WEIGHT_HEADER = 'x-mbx-used-weight-1m';

export interface ExchangeStats {
  /** `internalErrors`: handler failures answered with 500 {code:-1000} (a bug in the exchange, never a crash). */
  /** `rateLimited`: 429s (a scenario error or the weight limit); `banned`: 418s (the weight limit's bans). */
  rest: { requests: number; ok: number; errors5xx: number; rateLimited: number; banned: number; timeouts: number; malformed: number; badRequests: number; internalErrors: number };
  ws: { connections: number; open: number; messages: number; malformed: number; droppedNoPong: number; rejectedUpgrades: number; pings: number; pongs: number };
  disconnects: number;
  /** Slow readers: clients dropped because their queued data passed `maxSendBufferBytes`, and the largest queue seen (bytes). */
  slowClients: { dropped: number; maxBufferedBytes: number };
  /** REST clients (IPs) whose weight windows the exchange holds now. */
  restClients: number;
}

export interface Exchange {
  readonly host: string;
  readonly port: number;
  /** http://host:port */
  readonly restUrl: string;
  /** ws://host:port */
  readonly wsUrl: string;
  readonly symbols: readonly string[];
  /** Request weight enforced per rolling minute per client IP (null: none). */
  readonly weightLimit: number | null;
  /** Bytes a WebSocket client may have queued before it is dropped as a slow reader. */
  readonly maxSendBufferBytes: number;
  /** The generator behind the exchange (ground truth). */
  readonly feed: MarketSim;
  /** Feed time now (ms since the exchange started). */
  time(): number;
  /** Epoch ms at feed time 0 (`E` and `serverTime` are this plus the feed time). */
  readonly epochMs: number;
  stats(): ExchangeStats;
  /** Open WebSocket clients. */
  clientCount(): number;
  /** Terminates every WebSocket now (a disconnect without refusing reconnections). */
  dropClients(): void;
  close(): Promise<void>;
}

interface Client {
  ws: WebSocket;
  combined: boolean;
  streams: Set<string>;
  lastPong: number;
}

interface Truth {
  ids: number[];
  books: OrderBook[];
}

const STREAM_RE = /^([a-z0-9_.-]+)@depth(@100ms)?$/;

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function baseQuote(symbol: string): { baseAsset: string; quoteAsset: string } {
  for (const q of ['USDT', 'USDC', 'BUSD', 'BTC', 'ETH', 'BNB', 'EUR']) if (symbol.length > q.length && symbol.endsWith(q)) return { baseAsset: symbol.slice(0, -q.length), quoteAsset: q };
  return { baseAsset: symbol, quoteAsset: '' };
}

/** Corrupts a wire payload (one of several ways a broken feed shows up). */
export function corrupt(rng: Rng, obj: { bids?: unknown; asks?: unknown; b?: unknown; a?: unknown } & Record<string, unknown>, text: string): string {
  const kind = rng.int(0, 3);
  if (kind === 0) return text.slice(0, Math.max(1, Math.floor(text.length / 2))); // truncated JSON
  const copy: Record<string, unknown> = { ...obj };
  const key = 'bids' in copy ? 'bids' : 'b';
  const other = key === 'bids' ? 'asks' : 'a';
  if (kind === 1) {
    // numbers instead of decimal strings
    const lv = (copy[key] as [string, string][]).length > 0 ? (copy[key] as [string, string][]) : (copy[other] as [string, string][]);
    if (lv.length === 0) return text.slice(0, Math.max(1, Math.floor(text.length / 2)));
    const which = lv === copy[key] ? key : other;
    copy[which] = lv.map(([p, q]) => [Number(p), Number(q)]);
  } else if (kind === 2) {
    // a price off the tick grid (one more decimal digit than the tick allows, non-zero)
    const lv = (copy[key] as [string, string][]).length > 0 ? (copy[key] as [string, string][]) : (copy[other] as [string, string][]);
    if (lv.length === 0) return text.slice(0, Math.max(1, Math.floor(text.length / 2)));
    const which = lv === copy[key] ? key : other;
    copy[which] = lv.map(([p, q], i) => [i === 0 ? (p.includes('.') ? p + '3' : p + '.3') : p, q]);
  } else {
    // a mandatory field missing
    if ('lastUpdateId' in copy) delete copy.lastUpdateId;
    else delete copy.u;
  }
  return JSON.stringify(copy);
}

export async function startExchange(o: ExchangeOptions): Promise<Exchange> {
  const clock = o.clock ?? new RealClock();
  const scenario = o.scenario;
  const seed = o.seed ?? scenario.seed;
  const host = o.host ?? '127.0.0.1';
  const advanceMs = o.advanceMs ?? 20;
  const pingIntervalMs = o.pingIntervalMs ?? 20_000;
  const pongTimeoutMs = o.pongTimeoutMs ?? 60_000;
  const maxSendBuffer = o.maxSendBufferBytes ?? WS_MAX_SEND_BUFFER;
  if (!(maxSendBuffer > 0)) throw new RangeError(`maxSendBufferBytes must be > 0, got ${maxSendBuffer}`);
  const malformedRate = o.malformedRate ?? 0;
  const retryAfterS = o.retryAfterS ?? 1;
  const restFaults = o.restFaults ?? true;
  const historyLen = o.truthHistory ?? 4096;
  const intervals = { '@depth': o.streamIntervalsMs?.depth ?? 1000, '@depth@100ms': o.streamIntervalsMs?.depth100ms ?? 100 };
  const rest = scenario.rest;
  const weightLimit = o.weightLimit === undefined ? (rest.rate_limit?.weight_per_min ?? null) : o.weightLimit;
  if (weightLimit !== null && !(weightLimit > 0)) throw new RangeError(`weightLimit must be > 0, got ${weightLimit}`);
  const depthWeights = rest.weights ?? BINANCE_DEPTH_WEIGHTS;

  const feed = createMarket(scenario, { seed, start: 0 });
  const t0 = clock.now();
  const feedNow = (): number => clock.now() - t0;
  const epochMs = o.epochMs ?? wallClockEpochMs();
  const epochNow = (): number => Math.floor(epochMs + feedNow());
  const infos = new Map<string, SymbolInfo>(feed.instruments.map((i) => [i.symbol, i]));
  const byLower = new Map<string, string>(feed.instruments.map((i) => [i.symbol.toLowerCase(), i.symbol]));
  const symbols = feed.instruments.map((i) => i.symbol);

  const rLatency = rngStream(seed, 'exchange/rest/latency');
  const drawLatency = latencySampler(rest.latency, rLatency);
  const rError = rngStream(seed, 'exchange/rest/errors');
  const rMalRest = rngStream(seed, 'exchange/rest/malformed');
  const rMalWs = rngStream(seed, 'exchange/ws/malformed');

  const st: Omit<ExchangeStats, 'restClients'> = {
    rest: { requests: 0, ok: 0, errors5xx: 0, rateLimited: 0, banned: 0, timeouts: 0, malformed: 0, badRequests: 0, internalErrors: 0 },
    ws: { connections: 0, open: 0, messages: 0, malformed: 0, droppedNoPong: 0, rejectedUpgrades: 0, pings: 0, pongs: 0 },
    disconnects: 0,
    slowClients: { dropped: 0, maxBufferedBytes: 0 },
  };

  const clients = new Set<Client>();
  /** stream name → clients subscribed */
  const subs = new Map<string, Set<Client>>();
  let connDown = false;
  let closed = false;
  const truth = new Map<string, Truth>();

  const advance = (): void => {
    if (closed) return;
    const now = feedNow();
    feed.advanceTo(now);
    flushDue(now);
  };

  // ---------------------------------------------------------------- ground-truth history for /_truth?id=
  feed.onRecord((r) => {
    if (r.kind !== 'event') return;
    // the delivered copy of this event carries a crossed glitch or its correction: never merged with others
    isolateNext = r.extra !== undefined;
    const h = truth.get(r.ev.symbol);
    if (!h) return;
    h.ids.push(r.ev.u);
    h.books.push(feed.snapshot(r.ev.symbol));
    if (h.ids.length > historyLen) {
      h.ids.splice(0, h.ids.length - historyLen);
      h.books.splice(0, h.books.length - historyLen);
    }
  });

  // ---------------------------------------------------------------- WebSocket delivery
  const subscribe = (c: Client, stream: string): void => {
    c.streams.add(stream);
    let set = subs.get(stream);
    if (!set) subs.set(stream, (set = new Set()));
    set.add(c);
  };
  const unsubscribe = (c: Client, stream: string): void => {
    c.streams.delete(stream);
    subs.get(stream)?.delete(c);
  };
  const removeClient = (c: Client): void => {
    if (!clients.delete(c)) return;
    for (const s of c.streams) subs.get(s)?.delete(c);
    st.ws.open = clients.size;
  };

  /**
   * Queues a frame for a client unless it is too slow: when its queued data (ws's bufferedAmount: frames
   * written but not yet taken by the kernel) passes the bound, the client is dropped and nothing is queued.
   */
  const push = (c: Client, text: string): boolean => {
    if (c.ws.readyState !== WebSocket.OPEN) return false;
    const queued = c.ws.bufferedAmount;
    if (queued > st.slowClients.maxBufferedBytes) st.slowClients.maxBufferedBytes = queued;
    if (queued > 0 && queued + text.length > maxSendBuffer) {
      st.slowClients.dropped++;
      // the close frame cannot get through a full queue either: cut the connection
      c.ws.terminate();
      removeClient(c);
      o.onSlowClientDropped?.();
      return false;
    }
    c.ws.send(text);
    return true;
  };

  const send = (c: Client, stream: string, raw: string, wrapped: string, wire: DepthDiff): void => {
    if (c.ws.readyState !== WebSocket.OPEN) return;
    st.ws.messages++;
    if (malformedRate > 0 && rMalWs.next() < malformedRate) {
      st.ws.malformed++;
      const bad = corrupt(rMalWs, wire as unknown as Record<string, unknown>, raw);
      push(c, c.combined ? `{"stream":"${stream}","data":${bad}}` : bad);
      return;
    }
    push(c, c.combined ? wrapped : raw);
  };

  // ---------------------------------------------------------------- per-stream aggregation (update speed)
  /** A frame being assembled for one stream: contiguous events of one interval, one level per price per side. */
  interface Pending {
    stream: string;
    symbol: string;
    U: number;
    u: number;
    /** Feed time the interval ends (the frame is sent then, or earlier at a discontinuity). */
    due: number;
    b: Map<string, string>;
    a: Map<string, string>;
  }
  const pendingFrames = new Map<string, Pending>();
  let isolateNext = false;

  const sendFrame = (p: Pending): void => {
    pendingFrames.delete(p.stream);
    const set = subs.get(p.stream);
    if (!set || set.size === 0) return;
    // E: the end of the frame's interval (a late flush on a loaded host keeps the 100 ms / 1 s spacing), or now
    // for a frame cut early at a discontinuity
    const wire: DepthDiff = { e: 'depthUpdate', E: Math.floor(epochMs + Math.min(p.due, feedNow())), s: p.symbol, U: p.U, u: p.u, b: [...p.b], a: [...p.a] };
    const raw = JSON.stringify(wire);
    const wrapped = `{"stream":"${p.stream}","data":${raw}}`;
    for (const c of [...set]) send(c, p.stream, raw, wrapped, wire);
  };

  const flushDue = (now: number): void => {
    if (pendingFrames.size === 0) return;
    for (const p of [...pendingFrames.values()]) if (p.due <= now) sendFrame(p);
  };

  const addLevels = (into: Map<string, string>, levels: readonly (readonly [string, string])[]): void => {
    // quantities are absolute: the last one of a price in the interval is the level's state
    for (const [px, qty] of levels) {
      into.delete(px);
      into.set(px, qty);
    }
  };

  const deliver = (m: FeedMessage): void => {
    if (m.type === 'disconnect') {
      connDown = true;
      st.disconnects++;
      pendingFrames.clear(); // those events die with the connections
      for (const c of [...clients]) c.ws.terminate();
      return;
    }
    if (m.type === 'reconnect') {
      connDown = false;
      return;
    }
    const isolate = isolateNext;
    isolateNext = false;
    const lower = m.symbol.toLowerCase();
    const ev = m.diff;
    let wire: DepthDiff | undefined;
    for (const suffix of ['@depth', '@depth@100ms'] as const) {
      const stream = lower + suffix;
      const set = subs.get(stream);
      if (!set || set.size === 0) continue;
      wire ??= ev.toWire();
      let p = pendingFrames.get(stream);
      // never merge over a discontinuity or across an interval boundary
      if (p && (isolate || ev.U !== p.u + 1 || ev.t >= p.due)) {
        sendFrame(p);
        p = undefined;
      }
      const iv = intervals[suffix];
      if (!p) {
        p = { stream, symbol: m.symbol, U: ev.U, u: ev.u, due: iv > 0 ? (Math.floor(ev.t / iv) + 1) * iv : ev.t, b: new Map(), a: new Map() };
        pendingFrames.set(stream, p);
      } else p.u = ev.u;
      addLevels(p.b, wire.b);
      addLevels(p.a, wire.a);
      if (iv <= 0 || isolate) sendFrame(p);
    }
  };
  feed.onMessage(deliver);

  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD });

  const onControl = (c: Client, data: WebSocket.RawData): void => {
    try {
      control(c, data);
    } catch {
      // a control message must never take the server down
      push(c, JSON.stringify({ error: { code: 0, msg: 'Server busy' }, id: null }));
    }
  };

  const control = (c: Client, data: WebSocket.RawData): void => {
    let msg: unknown;
    try {
      msg = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8'));
    } catch {
      push(c, JSON.stringify({ error: { code: 3, msg: 'Invalid JSON' }, id: null }));
      return;
    }
    const m = msg as { method?: unknown; params?: unknown; id?: unknown };
    const id = typeof m?.id === 'number' || typeof m?.id === 'string' ? m.id : null;
    if (typeof m !== 'object' || m === null || typeof m.method !== 'string') {
      push(c, JSON.stringify({ error: { code: 2, msg: 'Invalid request: method missing' }, id }));
      return;
    }
    if (m.method === 'LIST_SUBSCRIPTIONS') {
      push(c, JSON.stringify({ result: [...c.streams], id }));
      return;
    }
    if (m.method !== 'SUBSCRIBE' && m.method !== 'UNSUBSCRIBE') {
      push(c, JSON.stringify({ error: { code: 2, msg: `Invalid request: unknown method ${m.method}` }, id }));
      return;
    }
    if (!Array.isArray(m.params) || m.params.some((p) => typeof p !== 'string' || !validStream(p))) {
      push(c, JSON.stringify({ error: { code: 2, msg: 'Invalid request: params must be a list of valid stream names' }, id }));
      return;
    }
    for (const p of m.params as string[]) (m.method === 'SUBSCRIBE' ? subscribe : unsubscribe)(c, p);
    push(c, JSON.stringify({ result: null, id }));
  };

  const validStream = (s: string): boolean => {
    const mm = STREAM_RE.exec(s);
    return !!mm && byLower.has(mm[1]!);
  };

  const reject = (socket: Socket, status: number, text: string): void => {
    st.ws.rejectedUpgrades++;
    const body = JSON.stringify({ code: -1, msg: text });
    socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  };

  const onUpgrade = (req: IncomingMessage, socket: Socket, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    try {
      upgrade(req, socket, head);
    } catch {
      if (!socket.destroyed) reject(socket, 500, 'Internal Server Error');
    }
  };

  const upgrade = (req: IncomingMessage, socket: Socket, head: Buffer): void => {
    if (closed) return reject(socket, 503, 'Service Unavailable');
    if (connDown) return reject(socket, 503, 'Service Unavailable');
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://x');
    } catch {
      return reject(socket, 400, 'Bad Request');
    }
    let streams: string[];
    let combined: boolean;
    if (url.pathname === '/ws' || url.pathname === '/ws/') {
      streams = [];
      combined = false;
    } else if (url.pathname.startsWith('/ws/')) {
      // As Binance: `/ws/<anything>` opens a raw connection; path segments that name a stream subscribe it,
      // others (ccxt puts its own connection id there) are ignored — SUBSCRIBE follows on the connection.
      streams = url.pathname.slice(4).split('/').filter((x) => validStream(x));
      combined = false;
    } else if (url.pathname === '/stream') {
      streams = (url.searchParams.get('streams') ?? '').split('/').filter(Boolean);
      combined = true;
      if (streams.some((s) => !validStream(s))) return reject(socket, 400, 'Bad Request');
    } else return reject(socket, 404, 'Not Found');
    wss.handleUpgrade(req, socket, head, (ws) => {
      const c: Client = { ws, combined, streams: new Set(), lastPong: clock.now() };
      clients.add(c);
      st.ws.connections++;
      st.ws.open = clients.size;
      for (const s of streams) subscribe(c, s);
      ws.on('message', (data) => onControl(c, data));
      ws.on('pong', () => {
        st.ws.pongs++;
        c.lastPong = clock.now();
      });
      ws.on('close', () => removeClient(c));
      ws.on('error', () => removeClient(c));
      if (closed || connDown) ws.terminate();
    });
  };

  // ---------------------------------------------------------------- REST
  const pending = new Set<{ timer: TimerHandle; res: ServerResponse }>();

  /**
   * One rolling weight window per client IP (an unlimited one only counts, for X-MBX-USED-WEIGHT-1M). Once per
   * window the limiters with nothing left to remember are dropped, so clients that come and go (new IPs) do not
   * grow the map for the server's lifetime; a client ever banned is kept (its bans scale the next one).
   */
  const limiters = new Map<string, WeightLimiter>();
  let sweptAt = -Infinity;
  const limiterOf = (req: IncomingMessage): WeightLimiter => {
    const now = feedNow();
    if (now - sweptAt >= RATE_WINDOW_MS) {
      sweptAt = now;
      for (const [ip, l] of limiters) if (l.forgettable(now)) limiters.delete(ip);
    }
    const ip = req.socket.remoteAddress ?? '-';
    let l = limiters.get(ip);
    if (!l) limiters.set(ip, (l = new WeightLimiter(weightLimit ?? Infinity)));
    return l;
  };

  /**
   * Charges `weight` to the request's client: true when admitted (the used weight goes in the header), else
   * the 429 / 418 has been answered.
   */
  const charge = (req: IncomingMessage, res: ServerResponse, weight: number): boolean => {
    const d = limiterOf(req).admit(feedNow(), weight);
    res.setHeader(USED_WEIGHT_HEADER, String(d.used));
    if (d.status === 200) return true;
    const retry = { 'retry-after': String(d.retryAfterS) };
    if (d.status === 429) {
      st.rest.rateLimited++;
      json(res, 429, { code: -1003, msg: `Too much request weight used; current limit is ${weightLimit} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.` }, retry);
    } else {
      st.rest.banned++;
      json(res, 418, { code: -1003, msg: `Way too much request weight used; IP banned until ${epochNow() + d.retryAfterS! * 1000}. Please use WebSocket Streams for live updates to avoid bans.` }, retry);
    }
    return false;
  };

  const hold = (res: ServerResponse, ms: number, then: () => void): void => {
    if (!(ms > 0)) return then();
    const p = {
      res,
      timer: clock.setTimeout(() => {
        pending.delete(p);
        if (res.destroyed) return;
        try {
          then();
        } catch {
          internalError(res);
        }
      }, ms),
    };
    pending.add(p);
    res.on('close', () => {
      // the client went away before the held response was sent
      if (res.writableEnded) return;
      clock.clearTimeout(p.timer);
      pending.delete(p);
    });
  };

  const exchangeInfo = (filter: string | null): unknown => ({
    timezone: 'UTC',
    serverTime: epochNow(),
    rateLimits: weightLimit === null ? [] : [{ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: weightLimit }],
    exchangeFilters: [],
    symbols: feed.instruments
      .filter((i) => filter === null || i.symbol === filter)
      .map((i) => {
        const priceTicks = priceToTicks(i.price, i.tick);
        const maxTicks = Math.min(Number.MAX_SAFE_INTEGER, Math.max(priceTicks * 1000, 1_000_000));
        const step = (1 / 10 ** i.qtyDecimals).toFixed(i.qtyDecimals);
        return {
          symbol: i.symbol,
          status: 'TRADING',
          ...baseQuote(i.symbol),
          quotePrecision: i.tick.decimals,
          filters: [
            { filterType: 'PRICE_FILTER', minPrice: i.tick_size, maxPrice: ticksToPrice(maxTicks, i.tick), tickSize: i.tick_size },
            { filterType: 'LOT_SIZE', minQty: step, maxQty: '9000000', stepSize: step },
          ],
        };
      }),
  });

  const bad = (res: ServerResponse, code: number, msg: string, status = 400): void => {
    st.rest.badRequests++;
    json(res, status, { code, msg });
  };

  /** Any failure inside a handler is a 500 {code,msg}, never a crash of the server. */
  const internalError = (res: ServerResponse): void => {
    st.rest.internalErrors++;
    if (!res.headersSent && !res.destroyed) json(res, 500, { code: -1000, msg: 'An unknown error occurred while processing the request.' });
    else res.destroy();
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    try {
      handle(req, res);
    } catch {
      internalError(res);
    }
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    st.rest.requests++;
    advance();
    // every response carries the client's used weight (an admitted request's `charge` updates it)
    res.setHeader(USED_WEIGHT_HEADER, String(limiterOf(req).used(feedNow())));
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://x');
    } catch {
      return bad(res, -1000, 'Malformed request target.');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return bad(res, -1000, `Method ${req.method} not allowed.`, 405);
    const q = url.searchParams;
    switch (url.pathname) {
      case '/api/v3/ping':
        if (!charge(req, res, ENDPOINT_WEIGHTS.ping)) return;
        return json(res, 200, {});
      case '/api/v3/time':
        if (!charge(req, res, ENDPOINT_WEIGHTS.time)) return;
        return json(res, 200, { serverTime: epochNow() });
      case '/api/v3/exchangeInfo': {
        const s = q.get('symbol');
        if (s !== null && !infos.has(s)) return bad(res, -1121, 'Invalid symbol.');
        if (!charge(req, res, ENDPOINT_WEIGHTS.exchangeInfo)) return;
        return json(res, 200, exchangeInfo(s));
      }
      case '/api/v3/depth':
        return depth(req, res, q);
      case '/_truth':
        return truthEndpoint(res, q);
      default:
        return bad(res, -1000, `Unknown endpoint ${url.pathname}.`, 404);
    }
  };

  const depth = (req: IncomingMessage, res: ServerResponse, q: URLSearchParams): void => {
    const symbol = q.get('symbol');
    if (!symbol) return bad(res, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
    if (!infos.has(symbol)) return bad(res, -1121, 'Invalid symbol.');
    const ls = q.get('limit');
    let limit = 100;
    if (ls !== null) {
      if (!/^\d{1,20}$/.test(ls)) return bad(res, -1100, "Illegal characters found in parameter 'limit'; legal range is '^[0-9]{1,20}$'.");
      limit = Math.min(MAX_DEPTH_LIMIT, Number(ls)); // Binance truncates a larger limit to 5000
      if (!(limit >= 1)) return bad(res, -1130, "Invalid data sent for a parameter: 'limit' must be 1 to 5000.");
    }
    // the venue decides on arrival: a throttled request is answered at once, without the scenario's REST faults
    if (!charge(req, res, requestWeight(limit, depthWeights))) return;
    // Fixed draw order per request: latency, error coin (+ kind), malformed coin.
    const latency = restFaults ? Math.max(0, drawLatency()) : 0;
    const fails = restFaults && rest.error_rate > 0 && rError.next() < rest.error_rate;
    const failKind = fails ? rError.int(0, 4) : 0;
    const malformed = malformedRate > 0 && rMalRest.next() < malformedRate;
    if (restFaults && latency > rest.timeout_ms) st.rest.timeouts++;
    hold(res, latency, () => {
      if (fails) {
        if (failKind <= 1) {
          st.rest.rateLimited++;
          return json(res, 429, { code: -1003, msg: 'Too many requests; please use the websocket for live updates to avoid polling the API.' }, { 'retry-after': String(retryAfterS) });
        }
        st.rest.errors5xx++;
        const status = [500, 502, 503][failKind - 2]!;
        return json(res, status, { code: -1001, msg: 'Internal error; unable to process your request. Please try again.' });
      }
      advance();
      const snap = feed.snapshot(symbol, limit).toSnapshot();
      const text = JSON.stringify(snap);
      if (malformed) {
        st.rest.malformed++;
        return json(res, 200, corrupt(rMalRest, snap as unknown as Record<string, unknown>, text));
      }
      st.rest.ok++;
      json(res, 200, text);
    });
  };

  const truthEndpoint = (res: ServerResponse, q: URLSearchParams): void => {
    const symbol = q.get('symbol');
    if (!symbol || !infos.has(symbol)) return bad(res, -1121, 'Invalid symbol.');
    const ls = q.get('limit');
    if (ls !== null && !(/^\d{1,9}$/.test(ls) && Number(ls) >= 1)) return bad(res, -1130, "Invalid data sent for a parameter: 'limit' must be a whole number of levels ≥ 1.");
    const limit = ls === null ? Infinity : Number(ls);
    const idS = q.get('id');
    if (idS !== null && !(/^\d{1,16}$/.test(idS) && Number.isSafeInteger(Number(idS)))) return bad(res, -1130, "Invalid data sent for a parameter: 'id' must be an update id (a whole number).");
    if (!truth.has(symbol)) {
      const now = feed.snapshot(symbol);
      truth.set(symbol, { ids: [now.lastUpdateId], books: [now] });
    }
    let book: OrderBook;
    if (idS !== null) {
      const h = truth.get(symbol)!;
      const id = Number(idS);
      const cur = feed.snapshot(symbol, 1);
      if (cur.lastUpdateId === id) book = feed.snapshot(symbol);
      else {
        // binary search on increasing ids
        let lo = 0;
        let hi = h.ids.length - 1;
        let at = -1;
        while (lo <= hi) {
          const mid = (lo + hi) >> 1;
          const v = h.ids[mid]!;
          if (v === id) {
            at = mid;
            break;
          }
          if (v < id) lo = mid + 1;
          else hi = mid - 1;
        }
        if (at < 0) return bad(res, -1, `update id ${idS} of ${symbol} is not in the truth history (${h.ids[0] ?? '-'}..${h.ids.at(-1) ?? '-'})`, 404);
        book = h.books[at]!;
      }
    } else book = feed.snapshot(symbol);
    const s = book.toSnapshot(limit);
    json(res, 200, { symbol, lastUpdateId: s.lastUpdateId, time: epochNow(), bids: s.bids, asks: s.asks });
  };

  // ---------------------------------------------------------------- timers and lifecycle
  let advanceTimer: TimerHandle | undefined;
  const loop = (): void => {
    if (closed) return;
    advance();
    advanceTimer = clock.setTimeout(loop, advanceMs);
  };
  let pingTimer: TimerHandle | undefined;
  const pingLoop = (): void => {
    if (closed) return;
    const now = clock.now();
    for (const c of [...clients]) {
      if (now - c.lastPong > pongTimeoutMs) {
        st.ws.droppedNoPong++;
        c.ws.terminate();
        removeClient(c);
        continue;
      }
      if (c.ws.readyState === WebSocket.OPEN) {
        st.ws.pings++;
        c.ws.ping();
      }
    }
    pingTimer = clock.setTimeout(pingLoop, Math.min(pingIntervalMs, pongTimeoutMs));
  };

  const server: Server = createServer(onRequest);
  server.on('upgrade', onUpgrade);
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (o.port ?? 0);
  const hostPart = host.includes(':') ? `[${host}]` : host;
  loop();
  pingTimer = clock.setTimeout(pingLoop, Math.min(pingIntervalMs, pongTimeoutMs));

  return {
    host,
    port,
    restUrl: `http://${hostPart}:${port}`,
    wsUrl: `ws://${hostPart}:${port}`,
    symbols,
    weightLimit,
    maxSendBufferBytes: maxSendBuffer,
    feed,
    time: feedNow,
    epochMs,
    stats: () => ({ ...structuredClone(st), restClients: limiters.size }),
    clientCount: () => clients.size,
    dropClients: () => {
      for (const c of [...clients]) c.ws.terminate();
    },
    async close() {
      if (closed) return;
      closed = true;
      clock.clearTimeout(advanceTimer);
      clock.clearTimeout(pingTimer);
      for (const p of pending) {
        clock.clearTimeout(p.timer);
        p.res.destroy();
      }
      pending.clear();
      pendingFrames.clear();
      for (const c of [...clients]) {
        c.ws.close(1001, 'exchange shutting down');
        c.ws.terminate();
      }
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
