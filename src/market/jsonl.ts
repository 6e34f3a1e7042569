/**
 * The recorded event stream (JSONL, format `mdcache-events/1`), one JSON object per line:
 *
 *   {"type":"header","format":"mdcache-events/1","scenario":"baseline","seed":42,"start_ms":0,"duration_ms":600000,
 *    "symbols":[{"symbol":"BTCUSDT","tick_size":"0.01","price":"65000.00","qty_decimals":5}]}
 *   {"type":"snapshot","t":0,"s":"BTCUSDT","lastUpdateId":123,"bids":[["64999.99","1.20000"]],"asks":[...]}
 *       the full initial ground-truth book of each symbol
 *   {"type":"diff","t":51.27,"s":"BTCUSDT","U":124,"u":126,"b":[[p,q]],"a":[[p,q]]}
 *       a ground-truth event at time t (ms); optional fields:
 *         "k":"jump"|"price_jump"   why the mid moved (omitted for ordinary updates)
 *         "fate":"ws_silence"|"seq_gap"|"disconnect"|"held"   not delivered at t (omitted = delivered at t)
 *         "x":{"b":[...],"a":[...]}  extra levels on the delivered copy only (crossed glitch / its correction)
 *   {"type":"late","t":80.1,"s":"BTCUSDT","U":124}   the held event with that U is delivered now (out of order)
 *   {"type":"disconnect","t":...}  {"type":"reconnect","t":...}   connection markers
 *   {"type":"end","t":600000,"events":N,"delivered":M}
 *
 * The ground truth is the snapshots plus every diff line; the delivered stream is diff lines without
 * "fate" (with "x" merged), "late" lines and the markers, in file order.
 */
import { readTextFile } from '../config/load.js';
import { ConfigError } from '../core/errors.js';
import { OrderBook } from './book.js';
import { BID, ASK, FullBook } from './local-book.js';
import { Deliverer, MarketEvent, UnknownSymbolError, changesToLevels, emptyStats, type EventKind, type Fate, type FeedMessage, type FeedRecord, type FeedStats, type MarketFeed, type SymbolInfo } from './feed.js';
import { parseTickSize, priceToTicks, parseQty, TickError } from './ticks.js';
import type { Level } from './types.js';

export const EVENTS_FORMAT = 'mdcache-events/1';

export interface StreamHeader {
  scenario: string;
  seed: number | string;
  start_ms: number;
  duration_ms: number;
  symbols: Array<{ symbol: string; tick_size: string; price: string; qty_decimals: number }>;
}

export function headerLine(h: StreamHeader): string {
  return JSON.stringify({ type: 'header', format: EVENTS_FORMAT, ...h });
}

export function snapshotLine(t: number, book: OrderBook): string {
  const s = book.toSnapshot();
  return JSON.stringify({ type: 'snapshot', t, s: book.symbol, lastUpdateId: s.lastUpdateId, bids: s.bids, asks: s.asks });
}

/** One record as a JSONL line (no newline). */
export function recordLine(rec: FeedRecord): string {
  switch (rec.kind) {
    case 'marker':
      return `{"type":"${rec.type}","t":${rec.t}}`;
    case 'late':
      return `{"type":"late","t":${rec.t},"s":${JSON.stringify(rec.ev.symbol)},"U":${rec.ev.U}}`;
    case 'event': {
      const ev = rec.ev;
      const w = ev.toWire();
      let line = `{"type":"diff","t":${ev.t},"s":${JSON.stringify(w.s)},"U":${w.U},"u":${w.u},"b":${JSON.stringify(w.b)},"a":${JSON.stringify(w.a)}`;
      if (ev.kind !== 'update') line += `,"k":"${ev.kind}"`;
      if (rec.fate !== 'delivered') line += `,"fate":"${rec.fate}"`;
      if (rec.extra) line += `,"x":${JSON.stringify(changesToLevels(rec.extra, ev.info.tick, ev.info.qtyDecimals))}`;
      return line + '}';
    }
  }
}

export function endLine(t: number, stats: FeedStats): string {
  return JSON.stringify({ type: 'end', t, events: stats.events, delivered: stats.delivered });
}

// ---------------------------------------------------------------- replay

type Item =
  | { kind: 'event'; t: number; ev: MarketEvent; fate: Fate; extra?: number[] }
  | { kind: 'late'; t: number; sym: number; U: number }
  | { kind: 'marker'; t: number; type: 'disconnect' | 'reconnect' };

const FATES: readonly string[] = ['delivered', 'held', 'ws_silence', 'seq_gap', 'disconnect'];
const KINDS: readonly string[] = ['update', 'jump', 'price_jump'];

/** A feed that replays a recorded JSONL stream: same interface as the generated market. */
export class ReplayFeed implements MarketFeed {
  readonly instruments: readonly SymbolInfo[];
  readonly header: StreamHeader;
  private readonly bySymbol = new Map<string, SymbolInfo>();
  private readonly books: FullBook[];
  private readonly lastIds: number[];
  private readonly items: Item[];
  private readonly held: Map<string, MarketEvent>[];
  private next = 0;
  private t: number;
  private advancing = false;
  private readonly deliverer = new Deliverer();
  /** Problems that do not stop a replay (e.g. gaps in the update ids); runs report them. */
  readonly warnings: string[] = [];
  private readonly st = emptyStats();

  constructor(header: StreamHeader, instruments: SymbolInfo[], initial: OrderBook[], items: Item[]) {
    this.header = header;
    this.instruments = Object.freeze(instruments);
    for (const i of instruments) this.bySymbol.set(i.symbol, i);
    this.books = instruments.map(() => new FullBook());
    this.lastIds = instruments.map(() => 0);
    this.held = instruments.map(() => new Map());
    for (const b of initial) {
      const i = this.bySymbol.get(b.symbol)!.index;
      this.books[i]!.load(b);
      this.lastIds[i] = b.lastUpdateId;
    }
    this.items = items;
    this.t = header.start_ms;
  }

  get time(): number {
    return this.t;
  }
  /** End of the recording (ms). */
  get endTime(): number {
    return this.header.start_ms + this.header.duration_ms;
  }
  info(symbol: string): SymbolInfo | undefined {
    return this.bySymbol.get(symbol);
  }
  onMessage(fn: (m: FeedMessage) => void): () => void {
    return this.deliverer.subscribe(this.deliverer.listeners, fn);
  }
  onRecord(fn: (r: FeedRecord) => void): () => void {
    return this.deliverer.subscribe(this.deliverer.recorders, fn);
  }
  stats(): FeedStats {
    return structuredClone(this.st);
  }

  snapshot(symbol: string, depth = Infinity): OrderBook {
    const info = this.bySymbol.get(symbol);
    if (!info) throw new UnknownSymbolError(symbol);
    return this.books[info.index]!.toBook({ symbol, tick: info.tick, qtyDecimals: info.qtyDecimals, lastUpdateId: this.lastIds[info.index]!, exchangeTime: this.t, takenAt: this.t }, depth);
  }

  advanceTo(target: number): void {
    if (this.advancing || !(target >= this.t)) return;
    this.advancing = true;
    try {
      const items = this.items;
      while (this.next < items.length && items[this.next]!.t <= target) {
        const it = items[this.next++]!;
        this.t = it.t;
        this.play(it);
      }
      this.t = target;
    } finally {
      this.advancing = false;
    }
  }

  private play(it: Item): void {
    const st = this.st;
    if (it.kind === 'marker') {
      if (it.type === 'disconnect') st.disconnects++;
      this.deliverer.emit({ kind: 'marker', type: it.type, t: it.t });
      return;
    }
    if (it.kind === 'late') {
      const ev = this.held[it.sym]!.get(String(it.U));
      if (!ev) return;
      this.held[it.sym]!.delete(String(it.U));
      st.delivered++;
      this.deliverer.emit({ kind: 'late', t: it.t, ev });
      return;
    }
    const ev = it.ev;
    const i = ev.info.index;
    this.books[i]!.apply(ev.changes);
    this.lastIds[i] = ev.u;
    st.events++;
    if (ev.kind === 'jump') st.jumps++;
    else if (ev.kind === 'price_jump') st.priceJumps++;
    if (it.fate === 'delivered') st.delivered++;
    else if (it.fate === 'held') {
      st.reordered++;
      this.held[i]!.set(String(ev.U), ev);
    } else st.dropped[it.fate]++;
    if (it.extra && it.fate === 'delivered') {
      const ask = this.books[i]!.bestAsk();
      for (let j = 0; j + 2 < it.extra.length; j += 3) if (it.extra[j] === BID && it.extra[j + 2]! > 0 && ask !== undefined && it.extra[j + 1]! >= ask) st.crossed++;
    }
    this.deliverer.emit(it.extra ? { kind: 'event', ev, fate: it.fate, extra: it.extra } : { kind: 'event', ev, fate: it.fate });
  }
}

/** Parses a recorded stream; a malformed line is a ConfigError naming the file and line number (exit 2). */
export function parseReplay(text: string, source = 'replay'): ReplayFeed {
  const problems: Array<{ path: string; message: string }> = [];
  const bad = (line: number, msg: string): void => {
    if (problems.length < 20) problems.push({ path: `line ${line}`, message: msg });
  };
  let header: StreamHeader | undefined;
  const instruments: SymbolInfo[] = [];
  const bySymbol = new Map<string, SymbolInfo>();
  const initial: OrderBook[] = [];
  const items: Item[] = [];
  let lastT = -Infinity;
  let lineNo = 0;
  /** Per symbol index: the last update id seen (snapshot lastUpdateId, then each diff's u); undefined = no snapshot yet. */
  const lastId: (number | undefined)[] = [];
  const gaps: string[] = [];
  let gapCount = 0;
  let pos = 0;
  let ended = false;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const raw = text.slice(pos, nl);
    pos = nl + 1;
    lineNo++;
    if (raw.trim() === '') continue;
    let o: Record<string, unknown>;
    try {
      const v: unknown = JSON.parse(raw);
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
      o = v as Record<string, unknown>;
    } catch (err) {
      bad(lineNo, `not valid JSON: ${(err as Error).message}`);
      continue;
    }
    try {
      const type = o.type;
      if (lineNo === 1 || !header) {
        if (type !== 'header') throw new Error(`expected the header line first, got type ${JSON.stringify(type)}`);
        if (o.format !== EVENTS_FORMAT) throw new Error(`unsupported format ${JSON.stringify(o.format)} (expected ${EVENTS_FORMAT})`);
        const syms = o.symbols;
        if (!Array.isArray(syms) || syms.length === 0) throw new Error('header.symbols must be a non-empty list');
        header = { scenario: String(o.scenario ?? ''), seed: o.seed as number, start_ms: num(o.start_ms, 'start_ms'), duration_ms: num(o.duration_ms, 'duration_ms'), symbols: [] };
        for (const s of syms as Array<Record<string, unknown>>) {
          const symbol = str(s?.symbol, 'symbol');
          const tick_size = str(s?.tick_size, 'tick_size');
          const info: SymbolInfo = { symbol, index: instruments.length, tick_size, tick: parseTickSize(tick_size), price: str(s.price, 'price'), qtyDecimals: num(s.qty_decimals, 'qty_decimals') };
          if (bySymbol.has(symbol)) throw new Error(`duplicate symbol ${symbol}`);
          instruments.push(info);
          bySymbol.set(symbol, info);
          header.symbols.push({ symbol, tick_size, price: info.price, qty_decimals: info.qtyDecimals });
        }
        lastT = header.start_ms;
        continue;
      }
      if (ended) throw new Error('content after the end line');
      const t = num(o.t, 't');
      if (t < lastT) throw new Error(`time ${t} goes backwards (previous ${lastT})`);
      lastT = t;
      const symOf = (): SymbolInfo => {
        const s = str(o.s, 's');
        const info = bySymbol.get(s);
        if (!info) throw new Error(`symbol ${s} is not in the header`);
        return info;
      };
      switch (type) {
        case 'snapshot': {
          const info = symOf();
          if (lastId[info.index] !== undefined) throw new Error(`a second snapshot of ${info.symbol} (one snapshot per symbol, before its diffs)`);
          const bids = levels(o.bids, 'bids');
          const asks = levels(o.asks, 'asks');
          const lastUpdateId = updateId(o.lastUpdateId, 'lastUpdateId');
          const book = OrderBook.fromSnapshot({ lastUpdateId, bids, asks }, info.symbol, info.tick, { qtyDecimals: info.qtyDecimals, exchangeTime: t, takenAt: t });
          if (book.isCrossed()) throw new Error(`the snapshot of ${info.symbol} is crossed (best bid ${book.bidPrice(0)} >= best ask ${book.askPrice(0)})`);
          initial.push(book);
          lastId[info.index] = lastUpdateId;
          break;
        }
        case 'diff': {
          const info = symOf();
          const U = updateId(o.U, 'U');
          const u = updateId(o.u, 'u');
          if (u < U) throw new Error(`u ${u} < U ${U}`);
          const changes = toChanges(levels(o.b, 'b'), levels(o.a, 'a'), info);
          const prev = lastId[info.index];
          if (prev === undefined) throw new Error(`a diff of ${info.symbol} before its snapshot (each symbol needs a snapshot line first)`);
          const fate = o.fate === undefined ? 'delivered' : str(o.fate, 'fate');
          if (!FATES.includes(fate)) throw new Error(`unknown fate ${JSON.stringify(fate)}`);
          // An event may straddle the previous id (U <= prev < u): the sync procedure's first event after a
          // snapshot does, and levels are absolute, so re-applying the overlap is exact. An event wholly at or
          // before the previous id is a repeated line — unless it is a catch-up (not delivered), which may move
          // a book back onto an older resync snapshot after a reconnect.
          if (u <= prev && fate === 'delivered') throw new Error(`update ids ${U}..${u} of ${info.symbol} repeat the previous (up to ${prev}): a duplicated line?`);
          if (U > prev + 1) {
            gapCount++;
            if (gaps.length < 3) gaps.push(`line ${lineNo}: ${info.symbol} ids jump from ${prev} to ${U}`);
          }
          lastId[info.index] = u;
          const kind = o.k === undefined ? 'update' : str(o.k, 'k');
          if (!KINDS.includes(kind)) throw new Error(`unknown k ${JSON.stringify(kind)}`);
          let extra: number[] | undefined;
          if (o.x !== undefined) {
            const x = o.x as Record<string, unknown>;
            extra = toChanges(levels(x?.b ?? [], 'x.b'), levels(x?.a ?? [], 'x.a'), info);
          }
          const ev = new MarketEvent(info, t, U, u, changes, kind as EventKind);
          items.push(extra ? { kind: 'event', t, ev, fate: fate as Fate, extra } : { kind: 'event', t, ev, fate: fate as Fate });
          break;
        }
        case 'late':
          items.push({ kind: 'late', t, sym: symOf().index, U: updateId(o.U, 'U') });
          break;
        case 'disconnect':
        case 'reconnect':
          items.push({ kind: 'marker', t, type });
          break;
        case 'end':
          ended = true;
          break;
        default:
          throw new Error(`unknown line type ${JSON.stringify(type)}`);
      }
    } catch (err) {
      bad(lineNo, err instanceof TickError ? err.message : (err as Error).message);
    }
  }
  if (!header && problems.length === 0) problems.push({ path: '', message: 'empty file: no header line' });
  if (header && problems.length === 0) {
    const missing = instruments.filter((i) => lastId[i.index] === undefined).map((i) => i.symbol);
    if (missing.length > 0) problems.push({ path: 'line 1', message: `no snapshot line for ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''} (every header symbol needs one)` });
  }
  if (problems.length > 0) throw new ConfigError(problems, source);
  const feed = new ReplayFeed(header!, instruments, initial, items);
  // Gaps in the recorded ground truth (lines missing, or a recording with holes) replay, with a warning.
  if (gapCount > 0) feed.warnings.push(`${gapCount} gap${gapCount > 1 ? 's' : ''} in the update ids (${gaps.join('; ')}${gapCount > gaps.length ? '; …' : ''}): the ground truth skips updates there`);
  return feed;
}

/** Opens a recorded JSONL stream (`mdcache generate --out`) as a feed. */
export function openReplay(file: string): ReplayFeed {
  return parseReplay(readTextFile(file, 'replay file'), file);
}

/** An exchange update id: a whole number in [0, 2^53). */
function updateId(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Error(`${name} must be a whole number in [0, 2^53), got ${JSON.stringify(v)}`);
  return v;
}

function num(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${name} must be a number, got ${JSON.stringify(v)}`);
  return v;
}
function str(v: unknown, name: string): string {
  if (typeof v !== 'string') throw new Error(`${name} must be a string, got ${JSON.stringify(v)}`);
  return v;
}
function levels(v: unknown, name: string): Level[] {
  if (!Array.isArray(v)) throw new Error(`${name} must be a list of [price, qty]`);
  for (const l of v) {
    if (!Array.isArray(l) || l.length !== 2 || typeof l[0] !== 'string' || typeof l[1] !== 'string') throw new Error(`${name} must hold [price, qty] string pairs, got ${JSON.stringify(l)}`);
  }
  return v as Level[];
}
function toChanges(b: Level[], a: Level[], info: SymbolInfo): number[] {
  const out: number[] = [];
  for (const [p, q] of b) out.push(BID, priceToTicks(p, info.tick), parseQty(q));
  for (const [p, q] of a) out.push(ASK, priceToTicks(p, info.tick), parseQty(q));
  return out;
}
