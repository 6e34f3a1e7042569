/**
 * Tardis-style CSV → `mdcache-events/1` lines (pure: text lines in, JSONL lines out; the file and gzip streaming is
 * in src/io/import-tardis.ts). Two of Tardis' downloadable CSV data types (docs.tardis.dev, "Data Types"):
 *
 *   incremental_book_L2   exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount
 *       one row per changed price level; `amount` is the level's new absolute size (0 = delete the level);
 *       the rows of one exchange message share a `local_timestamp`; a run of `is_snapshot=true` rows is a full
 *       book snapshot, and one that follows `false` rows of the same symbol means the book must be reset
 *       (the collector reconnected).
 *   book_snapshot_N       exchange,symbol,timestamp,local_timestamp,asks[0].price,asks[0].amount,bids[0].price,
 *       bids[0].amount,asks[1].price,… — the top N levels per side on every change (empty cells: fewer levels).
 *
 * Timestamps are microseconds since the epoch; `t` in the output is ms since the first imported row's
 * `local_timestamp` (the receive time, as `mdcache record` uses). Comma-separated, no quoting, LF (CRLF
 * accepted). Numbers may be written in exponent form (`1e-8`): they are turned into exact decimal strings.
 *
 * Tardis has no exchange update ids, so they are synthesised per symbol: the initial snapshot has
 * lastUpdateId 1 and every message gets the next id (U = u). A mid-file snapshot (a reset) becomes a catch-up
 * `diff` with `"fate":"disconnect"` — not delivered — that moves the ground truth onto the new book and uses up
 * one id, so the next delivered message skips an id: a replay's cache sees the same sequence gap and resyncs,
 * exactly as for a resync in a `mdcache record` recording.
 *
 * Every problem is a CsvError `FILE:LINE: message` (a UsageError: one line, exit 2 at the CLI).
 */
import { UsageError } from '../core/errors.js';
import { parseTickSize, priceToTicks, ticksToPrice, TickError, type TickSize } from './ticks.js';

/** A problem in an input file, located: `FILE:LINE: message`. */
export class CsvError extends UsageError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly detail: string,
  ) {
    super(`${file}:${line}: ${detail}`);
    this.name = 'CsvError';
  }
}

export const INCREMENTAL_COLUMNS = ['exchange', 'symbol', 'timestamp', 'local_timestamp', 'is_snapshot', 'side', 'price', 'amount'] as const;
const SNAPSHOT_BASE = ['exchange', 'symbol', 'timestamp', 'local_timestamp'] as const;

/** The most decimals an imported amount may have (quantities are float64 in the replay). */
export const MAX_QTY_DECIMALS = 18;

const NUM_RE = /^(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d{1,3}))?$/;

/**
 * A non-negative decimal in plain or exponent form ("65000.1", "0.5", "1e-8", "2.5E+3") → an exact plain decimal
 * string without exponent, or undefined when it is not one.
 */
export function plainDecimal(s: string): string | undefined {
  const m = NUM_RE.exec(s);
  if (!m) return undefined;
  let int = m[1]!;
  let frac = m[2] ?? '';
  if (m[2] !== undefined && frac === '') return undefined; // "1." is not written by Tardis
  const e = m[3] === undefined ? 0 : Number(m[3]);
  if (e > 0) {
    frac = frac.padEnd(e, '0');
    int += frac.slice(0, e);
    frac = frac.slice(e);
  } else if (e < 0) {
    int = int.padStart(-e + 1, '0');
    frac = int.slice(int.length + e) + frac;
    int = int.slice(0, int.length + e);
  }
  int = int.replace(/^0+(?=\d)/, '');
  return frac === '' ? int : `${int}.${frac}`;
}

/** Decimals of a plain decimal string ("0.25000" → 5). */
function decimalsOf(s: string): number {
  const i = s.indexOf('.');
  return i < 0 ? 0 : s.length - i - 1;
}

/** Splits one CSV line (no quoting: a `"` is refused). A trailing CR is dropped. */
export function splitCsvLine(line: string): string[] {
  const l = line.endsWith('\r') ? line.slice(0, -1) : line;
  if (l.includes('"')) throw new Error('quoted fields are not supported (Tardis CSV has no quoting)');
  return l.split(',');
}

export interface ImportSymbol {
  symbol: string;
  tickSize: string;
}

interface Book {
  bids: Map<number, string>;
  asks: Map<number, string>;
}

interface SymState {
  symbol: string;
  tick: TickSize;
  /** The ground-truth book (tick → quantity string). */
  book: Book;
  /** Last synthesised update id. */
  id: number;
  started: boolean;
  /** Best bid (else best ask) of the initial book: the header's `price`. */
  firstPrice?: string;
  /** is_snapshot of this symbol's previous row. */
  lastWasSnapshot: boolean;
  /** A snapshot being read (rows so far), with the line of its first row and its last row's local_timestamp. */
  pending?: { book: Book; line: number; ts: number };
  /** A book from the snapshots file, used when the incremental file has no snapshot first. */
  fallback?: { book: Book; line: number; file: string };
}

export interface ConvertStats {
  rows: number;
  /** diff lines (delivered messages and catch-ups). */
  events: number;
  delivered: number;
  /** Mid-file snapshots turned into catch-ups. */
  resets: number;
  /** Most decimals seen in an amount. */
  qtyDecimals: number;
  firstTs: number | undefined;
  lastT: number;
  exchange: string | undefined;
}

export interface ConverterOptions {
  symbols: readonly ImportSymbol[];
  /** Stop after this much data (ms from the first row); rows past it are not imported. */
  durationMs?: number;
  /** Receives each output line (no newline), in time order. */
  emit: (line: string) => void;
}

function emptyBook(): Book {
  return { bids: new Map(), asks: new Map() };
}

function sortedLevels(side: Map<number, string>, desc: boolean, tick: TickSize): [string, string][] {
  const ticks = [...side.keys()].sort((a, b) => (desc ? b - a : a - b));
  return ticks.map((t) => [ticksToPrice(t, tick), side.get(t)!]);
}

function bestBid(b: Book): number | undefined {
  let best: number | undefined;
  for (const t of b.bids.keys()) if (best === undefined || t > best) best = t;
  return best;
}
function bestAsk(b: Book): number | undefined {
  let best: number | undefined;
  for (const t of b.asks.keys()) if (best === undefined || t < best) best = t;
  return best;
}

/** The levels that turn `from` into `to` (quantity "0" for a level that went away), sorted by price. */
function sideDiff(from: Map<number, string>, to: Map<number, string>, tick: TickSize, desc: boolean): [string, string][] {
  const changed = new Map<number, string>();
  for (const [t, q] of to) if (from.get(t) !== q) changed.set(t, q);
  for (const t of from.keys()) if (!to.has(t)) changed.set(t, '0');
  return sortedLevels(changed, desc, tick);
}

/**
 * Converts rows to output lines. Feed the incremental file's lines with `incrementalLine` (header first), or a
 * book_snapshot_N file's with `snapshotLine`; then `finish()`. Lines are emitted in time order.
 */
export class TardisConverter {
  private readonly syms = new Map<string, SymState>();
  private readonly names: string;
  private cols: number[] | undefined;
  private ncols = 0;
  private snapCols: { askP: number; askQ: number; bidP: number; bidQ: number }[] | undefined;
  private snapBase: number[] | undefined;
  private lastTs = -Infinity;
  private lastT = 0;
  /** The open message: rows of one symbol with one local_timestamp (not snapshot rows). */
  private group: { s: SymState; ts: number; line: number; b: [string, string][]; a: [string, string][] } | undefined;
  /** True once a row past durationMs was seen: everything after is ignored. */
  done = false;
  readonly stats: ConvertStats = { rows: 0, events: 0, delivered: 0, resets: 0, qtyDecimals: 0, firstTs: undefined, lastT: 0, exchange: undefined };

  constructor(private readonly o: ConverterOptions) {
    for (const s of o.symbols) {
      let tick: TickSize;
      try {
        tick = parseTickSize(s.tickSize);
      } catch (err) {
        throw new UsageError(`--tick-size: ${(err as Error).message} (for ${s.symbol})`);
      }
      this.syms.set(s.symbol, { symbol: s.symbol, tick, book: emptyBook(), id: 1, started: false, lastWasSnapshot: false });
    }
    this.names = [...this.syms.keys()].join(',');
  }

  /** Symbols in the order given. */
  get symbols(): { symbol: string; tickSize: string; price: string | undefined }[] {
    return [...this.syms.values()].map((s) => ({ symbol: s.symbol, tickSize: s.tick.str, price: s.firstPrice }));
  }

  // ------------------------------------------------------------------ shared row parsing

  private sym(file: string, line: number, name: string): SymState {
    const s = this.syms.get(name);
    if (!s) throw new CsvError(file, line, `symbol ${JSON.stringify(name)} is not being imported (--symbols ${this.names})`);
    return s;
  }

  private micros(file: string, line: number, name: string, v: string): number {
    if (!/^\d{1,16}$/.test(v)) throw new CsvError(file, line, `${name} ${JSON.stringify(v)} is not microseconds since the epoch (a whole number)`);
    return Number(v);
  }

  private price(file: string, line: number, s: SymState, v: string): number {
    const p = plainDecimal(v);
    if (p === undefined) throw new CsvError(file, line, `price ${JSON.stringify(v)} is not a non-negative decimal number`);
    try {
      return priceToTicks(p, s.tick);
    } catch (err) {
      throw new CsvError(file, line, err instanceof TickError ? `${s.symbol}: ${err.message}` : String(err));
    }
  }

  private amount(file: string, line: number, v: string): string {
    const q = plainDecimal(v);
    if (q === undefined) throw new CsvError(file, line, `amount ${JSON.stringify(v)} is not a non-negative decimal number`);
    const d = decimalsOf(q);
    if (d > MAX_QTY_DECIMALS) throw new CsvError(file, line, `amount ${JSON.stringify(v)} has ${d} decimals (at most ${MAX_QTY_DECIMALS})`);
    if (!Number.isFinite(Number(q))) throw new CsvError(file, line, `amount ${JSON.stringify(v)} is out of range`);
    if (d > this.stats.qtyDecimals) this.stats.qtyDecimals = d;
    return Number(q) === 0 ? '0' : q;
  }

  /** Checks the receive time and applies --duration; returns the row's t (ms) or undefined when past the end. */
  private at(file: string, line: number, ts: number): number | undefined {
    if (ts < this.lastTs) throw new CsvError(file, line, `local_timestamp ${ts} goes backwards (previous row: ${this.lastTs})`);
    this.lastTs = ts;
    this.stats.firstTs ??= ts;
    const t = (ts - this.stats.firstTs) / 1000;
    if (this.o.durationMs !== undefined && t > this.o.durationMs) {
      this.done = true;
      return undefined;
    }
    return t;
  }

  private out(t: number, line: string): void {
    this.lastT = Math.max(this.lastT, t);
    this.o.emit(line);
  }

  private tNow(ts: number): number {
    return Math.max(this.lastT, (ts - this.stats.firstTs!) / 1000);
  }

  // ------------------------------------------------------------------ incremental_book_L2

  /** One line of an incremental_book_L2 file (line 1 = the header). Blank lines are skipped. */
  incrementalLine(file: string, line: number, text: string): void {
    if (this.done) return;
    if (text.trim() === '') return;
    let f: string[];
    try {
      f = splitCsvLine(text);
    } catch (err) {
      throw new CsvError(file, line, (err as Error).message);
    }
    if (!this.cols) {
      const idx = INCREMENTAL_COLUMNS.map((c) => f.indexOf(c));
      const missing = INCREMENTAL_COLUMNS.filter((_, i) => idx[i]! < 0);
      if (missing.length > 0) throw new CsvError(file, line, `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (an incremental_book_L2 header is ${INCREMENTAL_COLUMNS.join(',')})`);
      this.cols = idx;
      this.ncols = f.length;
      return;
    }
    if (f.length !== this.ncols) throw new CsvError(file, line, `${f.length} columns, the header has ${this.ncols}`);
    const [cEx, cSym, , cLocal, cSnap, cSide, cPrice, cAmount] = this.cols;
    const s = this.sym(file, line, f[cSym!]!);
    const ts = this.micros(file, line, 'local_timestamp', f[cLocal!]!);
    this.micros(file, line, 'timestamp', f[this.cols[2]!]!);
    const snap = f[cSnap!];
    if (snap !== 'true' && snap !== 'false') throw new CsvError(file, line, `is_snapshot ${JSON.stringify(snap)} must be true or false`);
    const side = f[cSide!];
    if (side !== 'bid' && side !== 'ask') throw new CsvError(file, line, `side ${JSON.stringify(side)} must be bid or ask`);
    const price = this.price(file, line, s, f[cPrice!]!);
    const amount = this.amount(file, line, f[cAmount!]!);
    const t = this.at(file, line, ts);
    if (t === undefined) return;
    this.stats.rows++;
    this.stats.exchange ??= f[cEx!];

    if (snap === 'true') {
      this.flushGroup(file);
      // A snapshot row after update rows of the same symbol starts a new snapshot (a reset).
      if (!s.pending || !s.lastWasSnapshot) {
        if (s.pending) this.closeSnapshot(s, file);
        s.pending = { book: emptyBook(), line, ts };
      }
      s.lastWasSnapshot = true;
      s.pending.ts = ts;
      const bookSide = side === 'bid' ? s.pending.book.bids : s.pending.book.asks;
      if (amount === '0') bookSide.delete(price); // a zero-amount snapshot level is an absent level
      else bookSide.set(price, amount);
      return;
    }
    if (s.pending) this.closeSnapshot(s, file);
    s.lastWasSnapshot = false;
    const g = this.group;
    if (!g || g.s !== s || g.ts !== ts) {
      this.flushGroup(file);
      this.group = { s, ts, line, b: [], a: [] };
    }
    (side === 'bid' ? this.group!.b : this.group!.a).push([ticksToPrice(price, s.tick), amount]);
  }

  /** Makes a symbol's initial book known (from its own snapshot or the snapshots file) before its first update. */
  private start(s: SymState, file: string, line: number): void {
    if (s.started) return;
    if (!s.fallback) throw new CsvError(file, line, `${s.symbol}: an update before any snapshot of ${s.symbol} (the file must start with is_snapshot=true rows for it, or give --snapshots with a book_snapshot row at or before this one)`);
    this.initial(s, s.fallback.book, s.fallback.file, s.fallback.line, this.lastT);
  }

  private initial(s: SymState, book: Book, file: string, line: number, t: number): void {
    if (book.bids.size === 0 && book.asks.size === 0) throw new CsvError(file, line, `${s.symbol}: the snapshot starting here has no levels`);
    const bb = bestBid(book);
    const ba = bestAsk(book);
    if (bb !== undefined && ba !== undefined && bb >= ba) throw new CsvError(file, line, `${s.symbol}: the snapshot starting here is crossed (best bid ${ticksToPrice(bb, s.tick)} >= best ask ${ticksToPrice(ba, s.tick)})`);
    s.book = book;
    s.started = true;
    s.firstPrice = ticksToPrice((bb ?? ba)!, s.tick);
    s.fallback = undefined;
    this.out(t, `{"type":"snapshot","t":${t},"s":${JSON.stringify(s.symbol)},"lastUpdateId":${s.id},"bids":${JSON.stringify(sortedLevels(book.bids, true, s.tick))},"asks":${JSON.stringify(sortedLevels(book.asks, false, s.tick))}}`);
  }

  private closeSnapshot(s: SymState, file: string): void {
    const p = s.pending!;
    s.pending = undefined;
    const t = this.tNow(p.ts);
    if (!s.started) {
      this.initial(s, p.book, file, p.line, t);
      return;
    }
    // A reset: a catch-up (not delivered) onto the new book, using up one id so the next message shows a gap.
    const b = sideDiff(s.book.bids, p.book.bids, s.tick, true);
    const a = sideDiff(s.book.asks, p.book.asks, s.tick, false);
    s.book = p.book;
    s.id++;
    this.stats.events++;
    this.stats.resets++;
    this.out(t, `{"type":"diff","t":${t},"s":${JSON.stringify(s.symbol)},"U":${s.id},"u":${s.id},"b":${JSON.stringify(b)},"a":${JSON.stringify(a)},"fate":"disconnect"}`);
  }

  private flushGroup(file: string): void {
    const g = this.group;
    if (!g) return;
    this.group = undefined;
    const s = g.s;
    this.start(s, file, g.line);
    const t = this.tNow(g.ts);
    for (const [p, q] of g.b) apply(s.book.bids, priceToTicks(p, s.tick), q);
    for (const [p, q] of g.a) apply(s.book.asks, priceToTicks(p, s.tick), q);
    s.id++;
    this.stats.events++;
    this.stats.delivered++;
    this.out(t, `{"type":"diff","t":${t},"s":${JSON.stringify(s.symbol)},"U":${s.id},"u":${s.id},"b":${JSON.stringify(g.b)},"a":${JSON.stringify(g.a)}}`);
  }

  // ------------------------------------------------------------------ book_snapshot_N

  /**
   * One line of a book_snapshot_N file. As the main input (`asFallback` false), every row is the symbol's book:
   * the first its `snapshot`, each later one a delivered `diff` of the levels that changed (levels leaving the
   * top N are deleted). As a fallback (`asFallback` true), rows only provide initial books: returns false once a
   * row is later than `untilTs` (stop reading).
   */
  snapshotLine(file: string, line: number, text: string, asFallback = false, untilTs = Infinity): boolean {
    if (this.done) return false;
    if (text.trim() === '') return true;
    let f: string[];
    try {
      f = splitCsvLine(text);
    } catch (err) {
      throw new CsvError(file, line, (err as Error).message);
    }
    if (!this.snapCols) {
      const base = SNAPSHOT_BASE.map((c) => f.indexOf(c));
      const missing: string[] = SNAPSHOT_BASE.filter((_, i) => base[i]! < 0);
      const levels: { askP: number; askQ: number; bidP: number; bidQ: number }[] = [];
      for (let i = 0; ; i++) {
        const c = { askP: f.indexOf(`asks[${i}].price`), askQ: f.indexOf(`asks[${i}].amount`), bidP: f.indexOf(`bids[${i}].price`), bidQ: f.indexOf(`bids[${i}].amount`) };
        const have = Object.values(c).filter((x) => x >= 0).length;
        if (have === 0) break;
        if (have < 4) missing.push(...(['askP', 'askQ', 'bidP', 'bidQ'] as const).filter((k) => c[k] < 0).map((k) => `${k[0] === 'a' ? 'asks' : 'bids'}[${i}].${k.endsWith('P') ? 'price' : 'amount'}`));
        levels.push(c);
      }
      if (levels.length === 0) missing.push('asks[0].price', 'asks[0].amount', 'bids[0].price', 'bids[0].amount');
      if (missing.length > 0) throw new CsvError(file, line, `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (a book_snapshot_N header is ${SNAPSHOT_BASE.join(',')},asks[0].price,asks[0].amount,bids[0].price,bids[0].amount,asks[1].price,…)`);
      this.snapBase = base;
      this.snapCols = levels;
      this.ncols = f.length;
      return true;
    }
    if (f.length !== this.ncols) throw new CsvError(file, line, `${f.length} columns, the header has ${this.ncols}`);
    const [cEx, cSym, cTs, cLocal] = this.snapBase!;
    const s = this.sym(file, line, f[cSym!]!);
    const ts = this.micros(file, line, 'local_timestamp', f[cLocal!]!);
    this.micros(file, line, 'timestamp', f[cTs!]!);
    const book = emptyBook();
    for (const c of this.snapCols) {
      for (const [pc, qc, side] of [[c.askP, c.askQ, book.asks], [c.bidP, c.bidQ, book.bids]] as const) {
        const pv = f[pc]!;
        const qv = f[qc]!;
        if (pv === '' && qv === '') continue; // fewer levels than N
        if (pv === '' || qv === '') throw new CsvError(file, line, `a level with a price but no amount, or an amount but no price`);
        const q = this.amount(file, line, qv);
        if (q !== '0') side.set(this.price(file, line, s, pv), q);
      }
    }
    if (asFallback) {
      if (ts > untilTs) return false;
      if (ts < this.lastTs) throw new CsvError(file, line, `local_timestamp ${ts} goes backwards (previous row: ${this.lastTs})`);
      this.lastTs = ts;
      s.fallback = { book, line, file };
      return true;
    }
    const t = this.at(file, line, ts);
    if (t === undefined) return false;
    this.stats.rows++;
    this.stats.exchange ??= f[cEx!];
    if (!s.started) {
      this.initial(s, book, file, line, this.tNow(ts));
      return true;
    }
    const b = sideDiff(s.book.bids, book.bids, s.tick, true);
    const a = sideDiff(s.book.asks, book.asks, s.tick, false);
    if (b.length === 0 && a.length === 0) return true; // nothing changed in the top N
    s.book = book;
    s.id++;
    this.stats.events++;
    this.stats.delivered++;
    const tt = this.tNow(ts);
    this.out(tt, `{"type":"diff","t":${tt},"s":${JSON.stringify(s.symbol)},"U":${s.id},"u":${s.id},"b":${JSON.stringify(b)},"a":${JSON.stringify(a)}}`);
    return true;
  }

  /** Resets the per-file header state (the snapshots fallback file is read before the incremental one). */
  nextFile(): void {
    this.cols = undefined;
    this.snapCols = undefined;
    this.snapBase = undefined;
    this.ncols = 0;
    this.lastTs = -Infinity;
  }

  /** Closes what is open. Throws when a symbol never had a book or nothing was imported. */
  finish(file: string): ConvertStats {
    if (!this.cols && !this.snapCols) throw new CsvError(file, 1, 'empty file: no header line');
    this.flushGroup(file);
    for (const s of this.syms.values()) if (s.pending) this.closeSnapshot(s, file);
    const never = [...this.syms.values()].filter((s) => !s.started).map((s) => s.symbol);
    if (never.length > 0) throw new UsageError(`${file}: no rows for ${never.join(', ')} (check --symbols and the file)`);
    this.stats.lastT = this.lastT;
    return this.stats;
  }
}

function apply(side: Map<number, string>, tick: number, q: string): void {
  if (q === '0') side.delete(tick);
  else side.set(tick, q);
}
