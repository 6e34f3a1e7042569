/**
 * `record`: captures a Binance-compatible venue's depth stream as the `mdcache-events/1` JSONL that the replay
 * source reads (src/market/jsonl.ts). It connects like `--source binance` (exchangeInfo, one combined
 * WebSocket stream, REST snapshots per the sync procedure, via WsBook) and records, with the local receive
 * time `t` (ms since every book first synced):
 *
 *   - one `snapshot` line per symbol at t = 0: the synced local book (REST snapshot + buffered events);
 *   - one `diff` line per WebSocket event applied to a synced book, as received (delivered);
 *   - `disconnect` / `reconnect` markers when the connection drops and comes back;
 *   - a resync (after a sequence gap, a crossed or malformed frame, a reconnect): the events missed are
 *     unknown, so the ground truth keeps the last synced book until the new snapshot arrives, and then one
 *     *catch-up* `diff` at the time the resync completed moves it onto the resynced book: its levels are the
 *     differences (quantity "0" for a level that went away), U/u span the ids skipped, and it carries
 *     `"fate":"seq_gap"` (`"disconnect"` after a reconnect) — not delivered, so a replay's cache sees the same
 *     gap the live client saw;
 *   - an `end` line.
 *
 * The ground truth of a recording is therefore the exchange's own stream as this client received it. Lines are
 * kept in memory and written atomically when recording stops (duration reached, or `stop()` — SIGINT).
 */
import type { Clock } from '../core/clock.js';
import { ZeroedClock } from '../core/clock.js';
import { UsageError } from '../core/errors.js';
import type { OrderBook } from '../market/book.js';
import { changesToLevels } from '../market/feed.js';
import { EVENTS_FORMAT } from '../market/jsonl.js';
import { writeFileAtomicWith } from '../io/atomic.js';
import { BinanceRestSource } from './rest-source.js';
import { WsBook, type ResyncReason, type WsBookStats } from './ws-book.js';

export interface RecordOptions {
  restUrl: string;
  wsUrl: string;
  symbols: readonly string[];
  /** Recording length (ms of the clock). */
  durationMs: number;
  /** Output file (written atomically when recording stops). */
  out: string;
  /** The host clock (RealClock in the CLI). */
  clock: Clock;
  /** REST snapshot depth (default 1000). */
  depth?: number;
  /** Wait this long for every book to sync first (default 15 s). */
  syncTimeoutMs?: number;
  restTimeoutMs?: number;
  /** Stops early; what was recorded is written (well-formed). */
  signal?: AbortSignal;
  /** Called about every second with the time recorded and the lines so far. */
  onProgress?: (recordedMs: number, lines: number) => void;
}

export interface RecordSummary {
  file: string;
  durationMs: number;
  interrupted: boolean;
  lines: number;
  diffs: number;
  resyncs: Record<string, number>;
  disconnects: number;
  ws: WsBookStats;
  /** Each symbol's local book when recording stopped (undefined while resyncing) — what a replay must end on. */
  finalBooks: Record<string, OrderBook | undefined>;
}

type Side = Map<string, string>;

function sides(book: OrderBook): { b: Side; a: Side } {
  const s = book.toSnapshot();
  return { b: new Map(s.bids), a: new Map(s.asks) };
}

/** The levels that turn `from` into `to` (quantity "0" for a level that went away). */
function levelDiff(from: Side, to: Side, zero: string): [string, string][] {
  const out: [string, string][] = [];
  for (const [p, q] of to) if (from.get(p) !== q) out.push([p, q]);
  for (const p of from.keys()) if (!to.has(p)) out.push([p, zero]);
  return out;
}

export async function recordMarket(o: RecordOptions): Promise<RecordSummary> {
  const symbols = [...new Set(o.symbols)];
  if (symbols.length === 0) throw new UsageError('--symbols: no symbols given');
  const rest = new BinanceRestSource({ baseUrl: o.restUrl, clock: o.clock, timeoutMs: o.restTimeoutMs });
  let info;
  try {
    info = await rest.exchangeInfo();
  } catch (err) {
    throw new UsageError(`cannot load exchangeInfo from ${o.restUrl}: ${(err as Error).message}`);
  }
  const missing = symbols.filter((s) => !info.has(s));
  if (missing.length > 0) throw new UsageError(`--symbols: ${missing.join(', ')} not listed by ${o.restUrl}`);
  const snapshots = new BinanceRestSource({ baseUrl: o.restUrl, clock: o.clock, timeoutMs: o.restTimeoutMs, exchangeInfo: info });
  const ws = new WsBook({ wsUrl: o.wsUrl, symbols, exchangeInfo: info, snapshots, clock: o.clock, snapshotDepth: o.depth ?? 1000 });
  ws.start();
  try {
    await ws.ready(o.syncTimeoutMs ?? 15_000);
  } catch (err) {
    await ws.close();
    throw new UsageError(`${(err as Error).message} (is ${o.wsUrl} a Binance-compatible WebSocket endpoint?)`);
  }

  const clock = new ZeroedClock(o.clock);
  const lines: string[] = [];
  const truth = new Map<string, { b: Side; a: Side; id: number; zero: string; qd: number }>();
  const header = { scenario: 'recorded', seed: 0, start_ms: 0, duration_ms: 0, symbols: [] as { symbol: string; tick_size: string; price: string; qty_decimals: number }[], source: { rest_url: o.restUrl, ws_url: o.wsUrl, depth: o.depth ?? 1000 } };
  for (const s of symbols) {
    const book = ws.book(s)!;
    const snap = book.toSnapshot();
    const zero = (0).toFixed(book.qtyDecimals);
    truth.set(s, { ...sides(book), id: snap.lastUpdateId, zero, qd: book.qtyDecimals });
    header.symbols.push({ symbol: s, tick_size: info.get(s)!.tickSize, price: snap.bids[0]?.[0] ?? snap.asks[0]?.[0] ?? '0', qty_decimals: book.qtyDecimals });
    lines.push(JSON.stringify({ type: 'snapshot', t: 0, s, lastUpdateId: snap.lastUpdateId, bids: snap.bids, asks: snap.asks }));
  }
  let diffs = 0;
  let catchUps = 0;
  let disconnects = 0;
  const resyncs: Record<string, number> = {};
  const lastReason = new Map<string, ResyncReason>();
  let lastT = 0;
  const at = (): number => {
    // receive times in µs precision, never backwards
    lastT = Math.max(lastT, Math.round(clock.now() * 1000) / 1000);
    return lastT;
  };
  const off = ws.onEvent((e) => {
    switch (e.type) {
      case 'diff': {
        const tr = truth.get(e.symbol);
        if (!tr) return;
        const sym = info.get(e.symbol)!;
        const { b, a } = changesToLevels(e.diff.changes, sym.tick, tr.qd);
        for (const [p, q] of b) (Number(q) === 0 ? tr.b.delete(p) : tr.b.set(p, q));
        for (const [p, q] of a) (Number(q) === 0 ? tr.a.delete(p) : tr.a.set(p, q));
        tr.id = e.diff.u;
        diffs++;
        lines.push(`{"type":"diff","t":${at()},"s":${JSON.stringify(e.symbol)},"U":${e.diff.U},"u":${e.diff.u},"b":${JSON.stringify(b)},"a":${JSON.stringify(a)}}`);
        break;
      }
      case 'resync':
        lastReason.set(e.symbol, e.reason);
        resyncs[e.reason] = (resyncs[e.reason] ?? 0) + 1;
        break;
      case 'synced': {
        const tr = truth.get(e.symbol);
        const book = ws.book(e.symbol);
        if (!tr || !book) return;
        const now = sides(book);
        const b = levelDiff(tr.b, now.b, tr.zero);
        const a = levelDiff(tr.a, now.a, tr.zero);
        // U/u span the skipped ids; a resynced book older than the last one known (after a reconnect) moves back.
        const u = e.lastUpdateId;
        const U = Math.min(tr.id + 1, u);
        const fate = lastReason.get(e.symbol) === 'reconnect' ? 'disconnect' : 'seq_gap';
        tr.b = now.b;
        tr.a = now.a;
        tr.id = e.lastUpdateId;
        catchUps++;
        lines.push(`{"type":"diff","t":${at()},"s":${JSON.stringify(e.symbol)},"U":${U},"u":${u},"b":${JSON.stringify(b)},"a":${JSON.stringify(a)},"fate":"${fate}"}`);
        break;
      }
      case 'disconnect':
        disconnects++;
        lines.push(`{"type":"disconnect","t":${at()}}`);
        break;
      case 'connect':
        if (e.reconnect) lines.push(`{"type":"reconnect","t":${at()}}`);
        break;
    }
  });

  const interrupted = await new Promise<boolean>((resolve) => {
    let done = false;
    const finish = (byStop: boolean): void => {
      if (done) return;
      done = true;
      clock.clearTimeout(timer);
      clock.clearTimeout(tickTimer);
      o.signal?.removeEventListener('abort', onAbort);
      resolve(byStop);
    };
    const onAbort = (): void => finish(true);
    const timer = clock.setTimeout(() => finish(false), o.durationMs);
    let tickTimer = clock.setTimeout(function tick() {
      o.onProgress?.(Math.min(clock.now(), o.durationMs), lines.length);
      tickTimer = clock.setTimeout(tick, 1000);
    }, 1000);
    if (o.signal?.aborted) finish(true);
    else o.signal?.addEventListener('abort', onAbort, { once: true });
  });
  const durationMs = Math.round(Math.min(clock.now(), o.durationMs) * 1000) / 1000;
  off();
  const finalBooks: Record<string, OrderBook | undefined> = {};
  for (const s of symbols) finalBooks[s] = ws.book(s);
  const stats = ws.stats();
  await ws.close();
  header.duration_ms = Math.max(durationMs, lastT);
  // Events of the last moment can carry t slightly past the duration; the end line closes the file after them.
  const end = JSON.stringify({ type: 'end', t: header.duration_ms, events: diffs + catchUps, delivered: diffs });
  writeFileAtomicWith(o.out, (write) => {
    write(JSON.stringify({ type: 'header', format: EVENTS_FORMAT, ...header }) + '\n');
    for (const l of lines) write(l + '\n');
    write(end + '\n');
  });
  return { file: o.out, durationMs: header.duration_ms, interrupted, lines: lines.length + 2, diffs, resyncs, disconnects, ws: stats, finalBooks };
}
