/**
 * Validation of every inbound exchange payload (REST exchangeInfo and depth snapshots, WebSocket depth
 * events and control replies). Nothing is trusted: schema, integer ids, decimal strings, prices on the
 * tick grid and inside PRICE_FILTER's range, sorted snapshot sides. A violation is a MalformedError.
 */
import { OrderBook } from '../market/book.js';
import { ASK, BID, type BookDiff } from '../market/local-book.js';
import { TickError, isDecimal, parseTickSize, priceToTicks, type TickSize } from '../market/ticks.js';
import { MalformedError } from './errors.js';

/** One symbol of exchangeInfo, with its PRICE_FILTER parsed. */
export interface ExchangeSymbol {
  symbol: string;
  /** tickSize as published, trailing zeros removed ("0.01000000" → "0.01"). */
  tickSize: string;
  tick: TickSize;
  /** PRICE_FILTER minPrice / maxPrice in ticks (0 and Infinity when the filter disables them). */
  minPriceTicks: number;
  maxPriceTicks: number;
}

export type ExchangeInfo = ReadonlyMap<string, ExchangeSymbol>;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** "0.01000000" → "0.01", "1.000" → "1", "10" → "10". */
export function trimDecimal(s: string): string {
  if (!s.includes('.')) return s;
  const t = s.replace(/0+$/, '');
  return t.endsWith('.') ? t.slice(0, -1) : t;
}

function isWholeZero(s: string): boolean {
  return /^0+(\.0+)?$/.test(s);
}

function decimalField(o: Obj, key: string, where: string, symbol?: string): string {
  const v = o[key];
  if (typeof v !== 'string' || !isDecimal(v)) throw new MalformedError(`${where}: '${key}' must be a decimal string, got ${JSON.stringify(v)}`, symbol);
  return v;
}

function idField(o: Obj, key: string, where: string, symbol?: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new MalformedError(`${where}: '${key}' must be a non-negative integer, got ${JSON.stringify(v)}`, symbol);
  return v;
}

/** Parses `GET /api/v3/exchangeInfo`. */
export function parseExchangeInfo(body: unknown): Map<string, ExchangeSymbol> {
  if (!isObj(body) || !Array.isArray(body.symbols)) throw new MalformedError('exchangeInfo: expected an object with a symbols list');
  const out = new Map<string, ExchangeSymbol>();
  for (const [i, s] of body.symbols.entries()) {
    const where = `exchangeInfo.symbols[${i}]`;
    if (!isObj(s) || typeof s.symbol !== 'string' || s.symbol === '') throw new MalformedError(`${where}: expected { symbol, filters }`);
    const symbol = s.symbol;
    if (!Array.isArray(s.filters)) throw new MalformedError(`${where}: filters must be a list`, symbol);
    const pf = s.filters.find((f): f is Obj => isObj(f) && f.filterType === 'PRICE_FILTER');
    if (!pf) throw new MalformedError(`${where}: no PRICE_FILTER`, symbol);
    const tickSize = trimDecimal(decimalField(pf, 'tickSize', `${where}.PRICE_FILTER`, symbol));
    let tick: TickSize;
    try {
      tick = parseTickSize(tickSize);
    } catch (err) {
      throw new MalformedError(`${where}.PRICE_FILTER: ${(err as Error).message}`, symbol);
    }
    const minS = decimalField(pf, 'minPrice', `${where}.PRICE_FILTER`, symbol);
    const maxS = decimalField(pf, 'maxPrice', `${where}.PRICE_FILTER`, symbol);
    let minPriceTicks = 0;
    let maxPriceTicks = Infinity;
    try {
      if (!isWholeZero(minS)) minPriceTicks = priceToTicks(trimDecimal(minS), tick);
      if (!isWholeZero(maxS)) maxPriceTicks = priceToTicks(trimDecimal(maxS), tick);
    } catch (err) {
      throw new MalformedError(`${where}.PRICE_FILTER: ${(err as Error).message}`, symbol);
    }
    out.set(symbol, { symbol, tickSize, tick, minPriceTicks, maxPriceTicks });
  }
  return out;
}

function priceTicks(p: string, sym: ExchangeSymbol, where: string): number {
  let t: number;
  try {
    t = priceToTicks(p, sym.tick);
  } catch (err) {
    throw new MalformedError(`${where}: ${err instanceof TickError ? err.message : String(err)}`, sym.symbol);
  }
  if (t < sym.minPriceTicks || t > sym.maxPriceTicks) throw new MalformedError(`${where}: price '${p}' outside PRICE_FILTER [${sym.minPriceTicks}, ${sym.maxPriceTicks}] ticks`, sym.symbol);
  return t;
}

function level(l: unknown, sym: ExchangeSymbol, where: string): [number, number] {
  if (!Array.isArray(l) || l.length < 2 || typeof l[0] !== 'string' || typeof l[1] !== 'string') throw new MalformedError(`${where}: a level must be ["price", "qty"], got ${JSON.stringify(l)?.slice(0, 60)}`, sym.symbol);
  if (!isDecimal(l[1])) throw new MalformedError(`${where}: quantity '${l[1]}' is not a decimal string`, sym.symbol);
  return [priceTicks(l[0], sym, where), Number(l[1])];
}

const POW10: readonly number[] = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * The tick count of a price string in one pass over its characters — the same result as priceToTicks for
 * every price it accepts (a decimal string of at most 15 digits, on the grid and inside PRICE_FILTER), or −1
 * for anything else, which the caller then hands to the checked path (`level`) for the exact error.
 */
function fastTicks(p: string, sym: ExchangeSymbol): number {
  const len = p.length;
  let v = 0;
  let intLen = 0;
  let fracLen = -1; // −1: no '.' seen
  for (let i = 0; i < len; i++) {
    const c = p.charCodeAt(i) - 48;
    if (c >= 0 && c <= 9) {
      v = v * 10 + c;
      if (fracLen < 0) intLen++;
      else fracLen++;
    } else if (c === -2 && fracLen < 0 && intLen > 0) fracLen = 0; // '.'
    else return -1;
  }
  if (intLen === 0 || fracLen === 0) return -1;
  const frac = fracLen < 0 ? 0 : fracLen;
  const tick = sym.tick;
  const d = frac > tick.decimals ? frac : tick.decimals;
  if (intLen + d > 15 || !(tick.unitsNum < 2 ** 53 / POW10[d - tick.decimals]!)) return -1;
  const scaled = v * POW10[d - frac]!;
  const unit = tick.unitsNum * POW10[d - tick.decimals]!;
  if (scaled % unit !== 0) return -1;
  const t = scaled / unit;
  return t < sym.minPriceTicks || t > sym.maxPriceTicks ? -1 : t;
}

/** True when `q` is a decimal string (isDecimal without the regex). */
function fastDecimal(q: string): boolean {
  const len = q.length;
  let digitsBefore = 0;
  let dot = -1;
  for (let i = 0; i < len; i++) {
    const c = q.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (dot < 0) digitsBefore++;
    } else if (c === 46 && dot < 0 && digitsBefore > 0) dot = i;
    else return false;
  }
  return digitsBefore > 0 && dot !== len - 1;
}

/**
 * Appends one wire level [price, qty] to `changes` as (side, ticks, qty), validated. The common case (well
 * formed) allocates nothing; anything else goes through `level`, which throws the precise MalformedError.
 */
function pushLevel(changes: number[], side: number, l: unknown, sym: ExchangeSymbol, where: string, key: string, i: number): void {
  if (Array.isArray(l) && l.length >= 2) {
    const p = l[0];
    const q = l[1];
    if (typeof p === 'string' && typeof q === 'string' && fastDecimal(q)) {
      const t = fastTicks(p, sym);
      if (t >= 0) {
        changes.push(side, t, Number(q));
        return;
      }
    }
  }
  const [t, q] = level(l, sym, `${where}.${key}[${i}]`);
  changes.push(side, t, q);
}

/** Parses a `GET /api/v3/depth` body into a compact book (prices checked against the tick grid, sides sorted). */
export function parseDepthSnapshot(body: unknown, sym: ExchangeSymbol, opts: { takenAt?: number; qtyDecimals?: number } = {}): OrderBook {
  const where = `depth ${sym.symbol}`;
  if (!isObj(body)) throw new MalformedError(`${where}: expected an object`, sym.symbol);
  const lastUpdateId = idField(body, 'lastUpdateId', where, sym.symbol);
  const sides: [number[], number[], number[], number[]] = [[], [], [], []];
  for (const [k, side] of [['bids', BID], ['asks', ASK]] as const) {
    const list = body[k];
    if (!Array.isArray(list)) throw new MalformedError(`${where}: '${k}' must be a list`, sym.symbol);
    const ticks = sides[side * 2]!;
    const qtys = sides[side * 2 + 1]!;
    for (let i = 0; i < list.length; i++) {
      const [t, q] = level(list[i], sym, `${where}.${k}[${i}]`);
      if (!(q > 0)) throw new MalformedError(`${where}.${k}[${i}]: a snapshot level needs a positive quantity`, sym.symbol);
      const prev = ticks[ticks.length - 1];
      if (prev !== undefined && (side === BID ? t >= prev : t <= prev)) throw new MalformedError(`${where}.${k}[${i}]: levels are not sorted best first`, sym.symbol);
      ticks.push(t);
      qtys.push(q);
    }
  }
  return OrderBook.fromLevels({ symbol: sym.symbol, tick: sym.tick, qtyDecimals: opts.qtyDecimals, lastUpdateId, takenAt: opts.takenAt }, sides[0], sides[1], sides[2], sides[3]);
}

/** Validates a `depthUpdate` event object; `expectSymbol` (from a combined stream name) must match `s`. */
export function parseDepthEvent(ev: unknown, symbols: ExchangeInfo, expectSymbol?: string): BookDiff {
  if (!isObj(ev)) throw new MalformedError('depthUpdate: expected an object', expectSymbol);
  const s = typeof ev.s === 'string' ? ev.s : undefined;
  const symbol = s ?? expectSymbol;
  if (ev.e !== 'depthUpdate') throw new MalformedError(`event: 'e' must be 'depthUpdate', got ${JSON.stringify(ev.e)}`, symbol);
  if (s === undefined) throw new MalformedError("depthUpdate: 's' (symbol) missing", expectSymbol);
  if (expectSymbol !== undefined && s !== expectSymbol) throw new MalformedError(`depthUpdate: symbol ${s} on the stream of ${expectSymbol}`, expectSymbol);
  const sym = symbols.get(s);
  if (!sym) throw new MalformedError(`depthUpdate: unknown symbol ${s}`);
  const where = `depthUpdate ${s}`;
  const E = idField(ev, 'E', where, s);
  const U = idField(ev, 'U', where, s);
  const u = idField(ev, 'u', where, s);
  if (U > u) throw new MalformedError(`${where}: U ${U} > u ${u}`, s);
  const changes: number[] = [];
  const b = ev.b;
  if (!Array.isArray(b)) throw new MalformedError(`${where}: 'b' must be a list`, s);
  for (let i = 0; i < b.length; i++) pushLevel(changes, BID, b[i], sym, where, 'b', i);
  const a = ev.a;
  if (!Array.isArray(a)) throw new MalformedError(`${where}: 'a' must be a list`, s);
  for (let i = 0; i < a.length; i++) pushLevel(changes, ASK, a[i], sym, where, 'a', i);
  return { symbol: s, E, U, u, changes };
}

export type WsInbound =
  | { kind: 'depth'; diff: BookDiff }
  | { kind: 'reply'; id: unknown; result: unknown }
  | { kind: 'error'; id: unknown; code: number | undefined; msg: string };

const STREAM_RE = /^([a-z0-9_.-]+)@depth(?:@100ms)?$/;

/** Parses one WebSocket text frame (raw event, combined `{stream, data}` wrapper or a control reply). */
export function parseWsMessage(text: string, symbols: ExchangeInfo, bySymbolLower: ReadonlyMap<string, string>): WsInbound {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    throw new MalformedError(`not JSON: ${text.slice(0, 60)}`);
  }
  if (!isObj(msg)) throw new MalformedError(`expected a JSON object: ${text.slice(0, 60)}`);
  if ('result' in msg && 'id' in msg) return { kind: 'reply', id: msg.id, result: msg.result };
  if (isObj(msg.error)) return { kind: 'error', id: msg.id, code: typeof msg.error.code === 'number' ? msg.error.code : undefined, msg: String(msg.error.msg ?? '') };
  if ('stream' in msg || 'data' in msg) {
    if (typeof msg.stream !== 'string') throw new MalformedError("combined message: 'stream' must be a string");
    const m = STREAM_RE.exec(msg.stream);
    const symbol = m ? bySymbolLower.get(m[1]!) : undefined;
    if (!symbol) throw new MalformedError(`combined message: unexpected stream '${msg.stream}'`);
    return { kind: 'depth', diff: parseDepthEvent(msg.data, symbols, symbol) };
  }
  return { kind: 'depth', diff: parseDepthEvent(msg, symbols) };
}
