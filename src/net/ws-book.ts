/**
 * WsBook: keeps local order books of several symbols correct from a Binance-compatible diff-depth
 * WebSocket stream plus REST snapshots (the spot procedure of docs "Keeping a local book correct"):
 *   - one combined-stream connection (`/stream?streams=a@depth@100ms/b@...`); events are buffered per
 *     symbol (LocalBook) until a snapshot is applied, then applied in order;
 *   - a sequence gap (U > book id + 1) discards the book and resyncs from a new snapshot (never patched);
 *     a crossed book after an update also resyncs;
 *   - every inbound frame is validated; a malformed frame is counted and resyncs its symbol (all symbols
 *     when the frame cannot be attributed), never a crash;
 *   - reconnect with exponential backoff and full jitter; a reconnect resets every book (no ghost levels);
 *   - pings are answered by `ws` automatically (counted in stats().pings);
 *   - silence: no message for a symbol for `silenceMs` flags it (event 'silence'); when every symbol has
 *     been silent for `reconnectAfterSilenceMs` the connection is recycled.
 * Snapshot fetch failures are retried with backoff; a RateLimitError waits its retryAfterMs.
 * Events (onEvent) drive consumers such as the MDCacheInvalidator (see attachInvalidator in live-market.ts).
 */
import { WebSocket } from 'ws';
import type { Clock, TimerHandle } from '../core/clock.js';
import { rngStream } from '../core/rng.js';
import type { OrderBook } from '../market/book.js';
import { LocalBook, type BookDiff } from '../market/local-book.js';
import type { SnapshotSource } from '../market/rest.js';
import { MalformedError, RateLimitError } from './errors.js';
import { parseWsMessage, type ExchangeInfo } from './validate.js';

export type ResyncReason = 'initial' | 'gap' | 'crossed' | 'malformed' | 'reconnect' | 'stale_snapshot' | 'requested';

export type WsBookEvent =
  /** A diff applied to the synced local book (after applying; `t` = local receive time). */
  | { type: 'diff'; t: number; symbol: string; diff: BookDiff }
  /** The symbol's book became usable (after a snapshot + replay of the buffered events). */
  | { type: 'synced'; t: number; symbol: string; lastUpdateId: number }
  /** The symbol's book was discarded and a new snapshot is being fetched. */
  | { type: 'resync'; t: number; symbol: string; reason: ResyncReason }
  | { type: 'crossed'; t: number; symbol: string }
  | { type: 'silence'; t: number; symbol: string }
  | { type: 'malformed'; t: number; symbol: string | undefined; error: string }
  | { type: 'snapshot_error'; t: number; symbol: string; error: Error }
  | { type: 'disconnect'; t: number; code: number }
  | { type: 'connect'; t: number; reconnect: boolean };

export interface WsBookOptions {
  /** ws://host:port (the combined-stream path is appended). */
  wsUrl: string;
  symbols: readonly string[];
  /** Tick sizes and price filters of the symbols (exchangeInfo). */
  exchangeInfo: ExchangeInfo;
  /** Where snapshots come from (e.g. a BinanceRestSource). */
  snapshots: SnapshotSource;
  clock: Clock;
  /** Snapshot depth requested (default 1000). */
  snapshotDepth?: number;
  /** '@depth' or '@depth@100ms' (default). */
  streamSuffix?: '@depth' | '@depth@100ms';
  /** No message for a symbol for this long flags it silent (default 5000; per symbol when a function). */
  silenceMs?: number | ((symbol: string) => number);
  /** Recycle the connection when every symbol has been silent this long (default 30 s; 0 = never). */
  reconnectAfterSilenceMs?: number;
  /** Reconnect backoff: attempt n waits uniform(0, min(maxMs, baseMs·2^n)) (default 100 / 5000 ms). */
  reconnect?: { baseMs: number; maxMs: number };
  /** Snapshot retry backoff (default 50 / 2000 ms). */
  resync?: { baseMs: number; maxMs: number };
  /** Uniform [0,1) jitter source (default a seeded stream). */
  random?: () => number;
  /** Events buffered per symbol while unsynced (default 10,000). */
  maxBuffer?: number;
  /** WebSocket handshake timeout (default 5000 ms). */
  handshakeTimeoutMs?: number;
}

export interface WsBookStats {
  connects: number;
  reconnects: number;
  disconnects: number;
  messages: number;
  applied: number;
  ignored: number;
  gaps: number;
  crossed: number;
  malformed: number;
  silences: number;
  resyncs: Record<ResyncReason, number>;
  snapshots: number;
  snapshotErrors: number;
  rateLimited: number;
  pings: number;
  unexpected: number;
}

interface SymState {
  symbol: string;
  local: LocalBook;
  syncing: boolean;
  gen: number;
  abort: AbortController | undefined;
  lastMsg: number;
  silent: boolean;
  lastBid: number | undefined;
  lastAsk: number | undefined;
}

export class WsBook {
  private readonly o: WsBookOptions;
  private readonly clock: Clock;
  private readonly syms = new Map<string, SymState>();
  private readonly bySymbolLower: Map<string, string>;
  private readonly listeners: Array<(e: WsBookEvent) => void> = [];
  private readonly random: () => number;
  private ws: WebSocket | undefined;
  private open = false;
  private everOpened = false;
  private closed = false;
  private attempt = 0;
  private reconnectTimer: TimerHandle | undefined;
  private silenceTimer: TimerHandle | undefined;
  private lastAnyMsg: number;
  /** Pending ready() calls: close() rejects them. */
  private readonly readyWaiters = new Set<{ reject(err: Error): void }>();
  private readonly st: WsBookStats = {
    connects: 0,
    reconnects: 0,
    disconnects: 0,
    messages: 0,
    applied: 0,
    ignored: 0,
    gaps: 0,
    crossed: 0,
    malformed: 0,
    silences: 0,
    resyncs: { initial: 0, gap: 0, crossed: 0, malformed: 0, reconnect: 0, stale_snapshot: 0, requested: 0 },
    snapshots: 0,
    snapshotErrors: 0,
    rateLimited: 0,
    pings: 0,
    unexpected: 0,
  };

  constructor(o: WsBookOptions) {
    this.o = o;
    this.clock = o.clock;
    if (o.symbols.length === 0) throw new Error('WsBook: no symbols');
    const now = this.clock.now();
    this.lastAnyMsg = now;
    for (const s of o.symbols) {
      const info = o.exchangeInfo.get(s);
      if (!info) throw new Error(`WsBook: ${s} is not in exchangeInfo`);
      this.syms.set(s, { symbol: s, local: new LocalBook(s, info.tick, { maxBuffer: o.maxBuffer }), syncing: false, gen: 0, abort: undefined, lastMsg: now, silent: false, lastBid: undefined, lastAsk: undefined });
    }
    this.bySymbolLower = new Map(o.symbols.map((s) => [s.toLowerCase(), s]));
    if (o.random) this.random = o.random;
    else {
      const r = rngStream('ws-book', o.symbols.join(','));
      this.random = () => r.next();
    }
  }

  get symbols(): string[] {
    return [...this.syms.keys()];
  }

  onEvent(fn: (e: WsBookEvent) => void): () => void {
    this.listeners.push(fn);
    return () => {
      const i = this.listeners.indexOf(fn);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  stats(): WsBookStats {
    return structuredClone(this.st);
  }

  get connected(): boolean {
    return this.open;
  }

  isSynced(symbol: string): boolean {
    return this.syms.get(symbol)?.local.isSynced ?? false;
  }

  lastUpdateId(symbol: string): number | undefined {
    const s = this.syms.get(symbol);
    return s?.local.isSynced ? s.local.lastUpdateId : undefined;
  }

  /** The synced local book (top `depth` levels), or undefined while (re)syncing. */
  book(symbol: string, depth = Infinity): OrderBook | undefined {
    const s = this.syms.get(symbol);
    if (!s || !s.local.isSynced) return undefined;
    return s.local.toBook(depth, this.clock.now());
  }

  /** Best bid / ask (ticks) of the synced book, else of the last synced book. */
  best(symbol: string): { bid: number | undefined; ask: number | undefined; synced: boolean } {
    const s = this.syms.get(symbol);
    if (!s) return { bid: undefined, ask: undefined, synced: false };
    if (s.local.isSynced) return { bid: s.local.bestBid(), ask: s.local.bestAsk(), synced: true };
    return { bid: s.lastBid, ask: s.lastAsk, synced: false };
  }

  /** Connects (idempotent). */
  start(): void {
    if (this.closed || this.ws) return;
    this.connect();
    this.scheduleSilenceCheck();
  }

  /** Resolves when every symbol is synced; rejects after `timeoutMs` or on close() (its timer is cleared either way). */
  ready(timeoutMs = 10_000): Promise<void> {
    if (this.closed) return Promise.reject(new Error('WsBook: closed'));
    if (this.allSynced()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        reject: (err: Error): void => {
          off();
          this.clock.clearTimeout(timer);
          this.readyWaiters.delete(waiter);
          reject(err);
        },
      };
      const off = this.onEvent((e) => {
        if (e.type === 'synced' && this.allSynced()) {
          off();
          this.clock.clearTimeout(timer);
          this.readyWaiters.delete(waiter);
          resolve();
        }
      });
      const timer = this.clock.setTimeout(() => {
        const missing = [...this.syms.values()].filter((s) => !s.local.isSynced).map((s) => s.symbol);
        waiter.reject(new Error(`WsBook: not synced within ${timeoutMs} ms: ${missing.join(', ')}`));
      }, timeoutMs);
      this.readyWaiters.add(waiter);
    });
  }

  private allSynced(): boolean {
    for (const s of this.syms.values()) if (!s.local.isSynced) return false;
    return true;
  }

  /** Closes the connection and stops every timer and fetch (a backoff sleep is cut); pending ready() calls reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clock.clearTimeout(this.reconnectTimer);
    this.clock.clearTimeout(this.silenceTimer);
    for (const s of this.syms.values()) {
      s.gen++;
      s.abort?.abort();
      s.abort = undefined;
    }
    for (const w of [...this.readyWaiters]) w.reject(new Error('WsBook: closed before every symbol synced'));
    const ws = this.ws;
    this.ws = undefined;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.terminate();
      });
    }
  }

  private emit(e: WsBookEvent): void {
    for (const f of [...this.listeners]) {
      try {
        f(e);
      } catch {
        // a listener's failure must not break the book
      }
    }
  }

  // ------------------------------------------------------------------------------------ connection

  private url(): string {
    const suffix = this.o.streamSuffix ?? '@depth@100ms';
    const streams = this.o.symbols.map((s) => s.toLowerCase() + suffix).join('/');
    return `${this.o.wsUrl.replace(/\/+$/, '')}/stream?streams=${streams}`;
  }

  private connect(): void {
    if (this.closed) return;
    const ws = new WebSocket(this.url(), { handshakeTimeout: this.o.handshakeTimeoutMs ?? 5000, perMessageDeflate: false });
    this.ws = ws;
    ws.on('open', () => {
      if (this.ws !== ws) return;
      this.open = true;
      this.attempt = 0;
      this.st.connects++;
      const reconnect = this.everOpened;
      this.everOpened = true;
      if (reconnect) this.st.reconnects++;
      const now = this.clock.now();
      this.lastAnyMsg = now;
      for (const s of this.syms.values()) {
        s.lastMsg = now;
        s.silent = false;
      }
      this.emit({ type: 'connect', t: now, reconnect });
      for (const s of this.syms.values()) this.resync(s, reconnect ? 'reconnect' : 'initial', false);
    });
    ws.on('message', (data, isBinary) => {
      if (this.ws !== ws) return;
      this.onFrame(isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString());
    });
    ws.on('ping', () => {
      this.st.pings++;
    });
    ws.on('error', () => {
      // 'close' follows; the error itself is not actionable here
    });
    ws.on('close', (code) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      const wasOpen = this.open;
      this.open = false;
      if (wasOpen) {
        this.st.disconnects++;
        this.emit({ type: 'disconnect', t: this.clock.now(), code });
      }
      for (const s of this.syms.values()) this.unsync(s);
      if (!this.closed) this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    const { baseMs, maxMs } = this.o.reconnect ?? { baseMs: 100, maxMs: 5000 };
    const cap = Math.min(maxMs, baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    const wait = this.random() * cap;
    this.clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = this.clock.setTimeout(() => this.connect(), wait);
  }

  /** Discards the symbol's book and resyncs it from a new snapshot (a consumer no longer trusts it). */
  resyncSymbol(symbol: string): void {
    const s = this.syms.get(symbol);
    if (s && !this.closed) this.resync(s, 'requested', true);
  }

  /** Drops the connection and reconnects (with backoff). */
  recycle(): void {
    this.ws?.terminate();
  }

  // ------------------------------------------------------------------------------------ messages

  private onFrame(text: string): void {
    const now = this.clock.now();
    this.st.messages++;
    this.lastAnyMsg = now;
    let m;
    try {
      m = parseWsMessage(text, this.o.exchangeInfo, this.bySymbolLower);
    } catch (err) {
      const sym = err instanceof MalformedError ? err.symbol : undefined;
      this.st.malformed++;
      const s = sym !== undefined ? this.syms.get(sym) : undefined;
      this.emit({ type: 'malformed', t: now, symbol: s?.symbol, error: (err as Error).message });
      if (s) {
        s.lastMsg = now;
        this.resync(s, 'malformed', true);
      } else for (const x of this.syms.values()) this.resync(x, 'malformed', true);
      return;
    }
    if (m.kind !== 'depth') return;
    const d = m.diff;
    const s = this.syms.get(d.symbol);
    if (!s) {
      this.st.unexpected++;
      return;
    }
    s.lastMsg = now;
    s.silent = false;
    const outcome = s.local.onDiff(d);
    if (outcome === 'needs-snapshot') return; // buffered until the snapshot arrives
    if (outcome === 'ignored') {
      this.st.ignored++;
      return;
    }
    if (outcome === 'gap') {
      // LocalBook discarded the book and kept this event buffered: resync from a new snapshot.
      this.st.gaps++;
      this.resync(s, 'gap', false);
      return;
    }
    this.st.applied++;
    this.emit({ type: 'diff', t: now, symbol: s.symbol, diff: d });
    if (s.local.book.isCrossed()) {
      this.st.crossed++;
      this.emit({ type: 'crossed', t: now, symbol: s.symbol });
      this.resync(s, 'crossed', true);
      return;
    }
    s.lastBid = s.local.bestBid();
    s.lastAsk = s.local.bestAsk();
  }

  // ------------------------------------------------------------------------------------ sync

  private unsync(s: SymState): void {
    s.gen++;
    s.abort?.abort();
    s.abort = undefined;
    s.syncing = false;
    s.local.reset();
  }

  /**
   * Fetches a new snapshot for the symbol; `reset` discards the book and the buffer first (crossed,
   * malformed). On a gap LocalBook has already discarded the book and buffered the event, which is kept.
   */
  private resync(s: SymState, reason: ResyncReason, reset: boolean): void {
    this.st.resyncs[reason]++;
    s.gen++;
    s.abort?.abort();
    s.abort = undefined;
    if (reset) s.local.reset();
    this.emit({ type: 'resync', t: this.clock.now(), symbol: s.symbol, reason });
    if (!this.open) {
      s.syncing = false;
      return; // resynced on (re)connect
    }
    s.syncing = true;
    void this.fetchLoop(s, s.gen);
  }

  private async fetchLoop(s: SymState, gen: number): Promise<void> {
    const { baseMs, maxMs } = this.o.resync ?? { baseMs: 50, maxMs: 2000 };
    const ac = new AbortController();
    s.abort = ac;
    for (let attempt = 0; ; attempt++) {
      if (s.gen !== gen || this.closed) return;
      let wait = 0;
      try {
        const book = await this.o.snapshots.fetch(s.symbol, this.o.snapshotDepth ?? 1000, ac.signal);
        if (s.gen !== gen || this.closed) return;
        this.st.snapshots++;
        const r = s.local.applySnapshot(book);
        if (r.outcome === 'synced') {
          const now = this.clock.now();
          if (s.local.book.isCrossed()) {
            this.st.crossed++;
            this.emit({ type: 'crossed', t: now, symbol: s.symbol });
            s.local.reset();
            this.st.resyncs.crossed++;
            wait = this.backoff(attempt, baseMs, maxMs);
          } else {
            s.lastBid = s.local.bestBid();
            s.lastAsk = s.local.bestAsk();
            // (s.abort stays set while the loop may still sleep: close() and resync() must be able to cut it)
            s.syncing = false;
            s.abort = undefined;
            this.emit({ type: 'synced', t: now, symbol: s.symbol, lastUpdateId: s.local.lastUpdateId });
            return;
          }
        } else {
          // stale: the snapshot is older than the buffered stream; gap: the buffered stream has a hole.
          if (r.outcome === 'gap') this.st.gaps++;
          this.st.resyncs[r.outcome === 'stale' ? 'stale_snapshot' : 'gap']++;
          wait = r.outcome === 'stale' ? this.backoff(attempt, baseMs, maxMs) : 0;
        }
      } catch (err) {
        if (s.gen !== gen || this.closed || ac.signal.aborted) return;
        this.st.snapshotErrors++;
        if (err instanceof MalformedError) this.st.malformed++;
        this.emit({ type: 'snapshot_error', t: this.clock.now(), symbol: s.symbol, error: err as Error });
        if (err instanceof RateLimitError) {
          this.st.rateLimited++;
          wait = Math.max(err.retryAfterMs, this.backoff(attempt, baseMs, maxMs));
        } else wait = this.backoff(attempt, baseMs, maxMs);
      }
      if (wait > 0) {
        try {
          await this.clock.sleep(wait, ac.signal);
        } catch {
          return;
        }
      }
    }
  }

  private backoff(attempt: number, baseMs: number, maxMs: number): number {
    return this.random() * Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  }

  // ------------------------------------------------------------------------------------ silence

  private silenceFor(symbol: string): number {
    const s = this.o.silenceMs ?? 5000;
    return typeof s === 'function' ? s(symbol) : s;
  }

  private scheduleSilenceCheck(): void {
    if (this.closed) return;
    let min = Infinity;
    for (const s of this.syms.keys()) min = Math.min(min, this.silenceFor(s));
    const every = Math.max(10, Math.min(1000, min / 4));
    this.silenceTimer = this.clock.setTimeout(() => {
      this.checkSilence();
      this.scheduleSilenceCheck();
    }, every);
  }

  /** Flags symbols silent for longer than their threshold; recycles a connection silent for every symbol. */
  checkSilence(now = this.clock.now()): void {
    if (!this.open) return;
    for (const s of this.syms.values()) {
      if (!s.silent && now - s.lastMsg > this.silenceFor(s.symbol)) {
        s.silent = true;
        this.st.silences++;
        this.emit({ type: 'silence', t: now, symbol: s.symbol });
      }
    }
    const all = this.o.reconnectAfterSilenceMs ?? 30_000;
    if (all > 0 && now - this.lastAnyMsg > all) {
      this.lastAnyMsg = now;
      this.recycle();
    }
  }
}

