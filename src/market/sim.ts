/**
 * MarketSim: a seeded, lazily advanceable synthetic order-book market.
 *
 * Per symbol the ground truth is a ladder of `depth.levels` price levels per side, contiguous in ticks from
 * the best bid down and from the best ask up (a level may be empty: a "hole"). Quantities live in
 * Float64Arrays indexed by distance from the best level; prices are integer ticks. Each event:
 *   - update: mid diffuses (Gaussian, whole ticks), the spread may be redrawn, 1+ levels change quantity;
 *   - jump / price_jump: the mid jumps (Merton jump / injected fault).
 * When the best prices move the ladder shifts: levels leaving it are removed (qty 0) and new ones are
 * emitted, so applying the stream to a snapshot reproduces the ground truth exactly.
 *
 * Events of all symbols are merged in time order with a heap; nothing is scheduled on a clock. Every
 * symbol draws from its own named rng streams (arrivals, price, levels, one per fault kind), so enabling
 * a fault or adding symbols never shifts another stream's draws.
 */
import { slabFloat64 } from './f64-slab.js';
import { Rng, rngStream } from '../core/rng.js';
import { OrderBook } from './book.js';
import { parseTickSize, nearestTicks } from './ticks.js';
import { BID, ASK } from './local-book.js';
import { Deliverer, MarketEvent, UnknownSymbolError, emptyStats, type EventKind, type FeedMessage, type FeedRecord, type FeedStats, type MarketFeed, type SymbolInfo } from './feed.js';
import type { MarketParams, SymbolParams } from './params.js';

export interface MarketSimOptions {
  seed: number | string;
  symbols: readonly SymbolParams[];
  market: MarketParams;
  /** Feed start time (ms, default 0). */
  start?: number;
}

const NEVER = Infinity;

function nextPoisson(rng: Rng, t: number, rateHz: number): number {
  return rateHz > 0 ? t + rng.exponential(1000 / rateHz) : NEVER;
}

class SymState {
  readonly info: SymbolInfo;
  readonly L: number;
  bidBest = 0;
  askBest = 0;
  readonly bidQ: Float64Array;
  readonly askQ: Float64Array;
  lastId = 0;
  spread: number;
  /** Next event time per process. */
  nextUpdate: number;
  nextJump: number;
  nextPriceJump: number;
  nextTime = NEVER;
  // Hawkes excitation (Hz) at time hawkesT.
  excite = 0;
  // delivery faults
  silenceStart = NEVER;
  silenceEnd = -1;
  nextGap: number;
  gapLeft = 0;
  nextOoo: number;
  held: MarketEvent | null = null;
  hasHeld = false;
  nextCross: number;
  /** Price (ticks) of an uncorrected crossed glitch, or -1. */
  correction = -1;

  readonly rArr: Rng;
  readonly rPx: Rng;
  readonly rLvl: Rng;
  readonly rJump: Rng;
  readonly rSil: Rng;
  readonly rGap: Rng;
  readonly rOoo: Rng;
  readonly rPj: Rng;
  readonly rCross: Rng;

  readonly rate: number;
  readonly activity: number;
  readonly diffusion: number;
  readonly typicalSpread: number;
  readonly qtyScale: number;

  constructor(seed: number | string, p: SymbolParams, index: number, readonly m: MarketParams, start: number) {
    const tick = parseTickSize(p.tick_size);
    this.info = Object.freeze({ symbol: p.symbol, index, tick_size: p.tick_size, tick, price: p.price, qtyDecimals: p.qty_decimals });
    const base = `market/${p.symbol}`;
    this.rArr = rngStream(seed, `${base}/arrivals`);
    this.rPx = rngStream(seed, `${base}/price`);
    this.rLvl = rngStream(seed, `${base}/levels`);
    this.rJump = rngStream(seed, `${base}/jumps`);
    this.rSil = rngStream(seed, `${base}/fault/ws_silence`);
    this.rGap = rngStream(seed, `${base}/fault/seq_gap`);
    this.rOoo = rngStream(seed, `${base}/fault/out_of_order`);
    this.rPj = rngStream(seed, `${base}/fault/price_jump`);
    this.rCross = rngStream(seed, `${base}/fault/crossed`);
    this.L = m.depth.levels;
    this.bidQ = new Float64Array(this.L);
    this.askQ = new Float64Array(this.L);
    this.rate = m.update_rate_hz * p.activity;
    this.activity = p.activity;
    this.diffusion = p.diffusion_ticks ?? m.diffusion_ticks;
    this.typicalSpread = Math.max(m.spread.min_ticks, p.typical_spread_ticks ?? m.spread.typical_ticks);
    this.qtyScale = 10 ** p.qty_decimals;
    // Initial book.
    this.spread = this.typicalSpread;
    const mid = nearestTicks(p.price, tick);
    this.bidBest = Math.max(this.L, mid - Math.floor(this.spread / 2));
    this.askBest = this.bidBest + this.spread;
    for (let i = 0; i < this.L; i++) {
      this.bidQ[i] = this.freshQty(i, i > 0);
      this.askQ[i] = this.freshQty(i, i > 0);
    }
    this.lastId = this.rPx.int(1_000_000, 999_999_999);
    // Schedules.
    this.nextUpdate = this.drawArrival(start);
    this.nextJump = nextPoisson(this.rJump, start, m.jumps.rate_hz * p.activity);
    this.nextPriceJump = nextPoisson(this.rPj, start, m.faults.price_jump.rate_hz);
    const f = m.faults;
    if (f.ws_silence.rate_hz > 0) this.silenceStart = nextPoisson(this.rSil, start, f.ws_silence.rate_hz);
    this.nextGap = nextPoisson(this.rGap, start, f.seq_gap.rate_hz);
    this.nextOoo = nextPoisson(this.rOoo, start, f.out_of_order.rate_hz);
    this.nextCross = nextPoisson(this.rCross, start, f.crossed.rate_hz);
    this.nextTime = Math.min(this.nextUpdate, this.nextJump, this.nextPriceJump);
  }

  /** Next update arrival after `t` (Poisson, or Hawkes by thinning with mean rate = this.rate). */
  drawArrival(t: number): number {
    if (!(this.rate > 0)) return NEVER;
    const { alpha, beta } = this.m.hawkes;
    if (!(alpha > 0)) return t + this.rArr.exponential(1000 / this.rate);
    const mu = this.rate * (1 - alpha / beta);
    let s = t;
    for (;;) {
      const lamBar = mu + this.excite;
      const w = this.rArr.exponential(1000 / lamBar);
      s += w;
      this.excite *= Math.exp((-beta * w) / 1000);
      if (this.rArr.next() * lamBar <= mu + this.excite) {
        this.excite += alpha;
        return s;
      }
    }
  }

  freshQty(i: number, mayBeHole: boolean): number {
    const d = this.m.depth;
    if (mayBeHole && d.hole_prob > 0 && this.rLvl.next() < d.hole_prob) return 0;
    const q = d.base_qty * Math.exp(-d.decay * i + d.noise * this.rLvl.normal() - (d.noise * d.noise) / 2);
    const lots = Math.max(1, Math.round(q * this.qtyScale));
    return lots / this.qtyScale;
  }

  /** Moves the best bid / best ask, emitting removals and new levels into `out`. */
  shift(newBid: number, newAsk: number, out: number[]): void {
    const L = this.L;
    // Bid side: index i ↔ price bidBest − i.
    const db = newBid - this.bidBest;
    const bq = this.bidQ;
    if (db !== 0) {
      const k = Math.abs(db);
      if (k >= L) {
        for (let i = 0; i < L; i++) if (bq[i]! > 0) out.push(BID, this.bidBest - i, 0);
        for (let i = 0; i < L; i++) {
          bq[i] = this.freshQty(i, i > 0);
          if (bq[i]! > 0) out.push(BID, newBid - i, bq[i]!);
        }
      } else if (db > 0) {
        for (let i = L - k; i < L; i++) if (bq[i]! > 0) out.push(BID, this.bidBest - i, 0);
        bq.copyWithin(k, 0, L - k);
        for (let i = 0; i < k; i++) {
          bq[i] = this.freshQty(i, i > 0);
          if (bq[i]! > 0) out.push(BID, newBid - i, bq[i]!);
        }
      } else {
        for (let i = 0; i < k; i++) if (bq[i]! > 0) out.push(BID, this.bidBest - i, 0);
        bq.copyWithin(0, k, L);
        for (let i = L - k; i < L; i++) {
          bq[i] = this.freshQty(i, true);
          if (bq[i]! > 0) out.push(BID, newBid - i, bq[i]!);
        }
      }
      this.bidBest = newBid;
      if (bq[0] === 0) {
        bq[0] = this.freshQty(0, false);
        out.push(BID, newBid, bq[0]!);
      }
    }
    // Ask side: index i ↔ price askBest + i.
    const da = newAsk - this.askBest;
    const aq = this.askQ;
    if (da !== 0) {
      const k = Math.abs(da);
      if (k >= L) {
        for (let i = 0; i < L; i++) if (aq[i]! > 0) out.push(ASK, this.askBest + i, 0);
        for (let i = 0; i < L; i++) {
          aq[i] = this.freshQty(i, i > 0);
          if (aq[i]! > 0) out.push(ASK, newAsk + i, aq[i]!);
        }
      } else if (da < 0) {
        for (let i = L - k; i < L; i++) if (aq[i]! > 0) out.push(ASK, this.askBest + i, 0);
        aq.copyWithin(k, 0, L - k);
        for (let i = 0; i < k; i++) {
          aq[i] = this.freshQty(i, i > 0);
          if (aq[i]! > 0) out.push(ASK, newAsk + i, aq[i]!);
        }
      } else {
        for (let i = 0; i < k; i++) if (aq[i]! > 0) out.push(ASK, this.askBest + i, 0);
        aq.copyWithin(0, k, L);
        for (let i = L - k; i < L; i++) {
          aq[i] = this.freshQty(i, true);
          if (aq[i]! > 0) out.push(ASK, newAsk + i, aq[i]!);
        }
      }
      this.askBest = newAsk;
      if (aq[0] === 0) {
        aq[0] = this.freshQty(0, false);
        out.push(ASK, newAsk, aq[0]!);
      }
    }
  }

  /** Applies a mid move of `move` ticks and a new spread, keeping prices positive. */
  move(move: number, newSpread: number, out: number[]): void {
    const delta = newSpread - this.spread;
    const half = Math.floor(delta / 2);
    let newBid = this.bidBest + move - half;
    if (newBid < this.L) newBid = this.L;
    const newAsk = newBid + newSpread;
    this.spread = newSpread;
    this.shift(newBid, newAsk, out);
  }

  /** Generates the next ground-truth event into `out`; returns its kind. Updates schedules. */
  step(out: number[]): EventKind {
    const t = this.nextTime;
    let kind: EventKind;
    if (t === this.nextPriceJump) {
      kind = 'price_jump';
      const k = this.m.faults.price_jump.ticks;
      this.move(this.rPj.next() < 0.5 ? -k : k, this.spread, out);
      this.nextPriceJump = nextPoisson(this.rPj, t, this.m.faults.price_jump.rate_hz);
    } else if (t === this.nextJump) {
      kind = 'jump';
      const size = Math.max(1, Math.round(this.rJump.exponential(this.m.jumps.mean_ticks)));
      this.move(this.rJump.next() < 0.5 ? -size : size, this.spread, out);
      this.nextJump = nextPoisson(this.rJump, t, this.m.jumps.rate_hz * this.activity);
    } else {
      kind = 'update';
      const px = this.rPx;
      const mv = this.diffusion > 0 ? Math.round(px.normal() * this.diffusion) : 0;
      const sp = this.m.spread;
      let s = this.spread;
      if (px.next() < sp.change_prob) s = sp.min_ticks + px.poisson(this.typicalSpread - sp.min_ticks);
      if (mv !== 0 || s !== this.spread) this.move(mv, s, out);
      const d = this.m.depth;
      const lv = this.rLvl;
      const n = 1 + (d.changes_per_update > 1 ? lv.poisson(d.changes_per_update - 1) : 0);
      for (let j = 0; j < n; j++) {
        const side = lv.next() < 0.5 ? BID : ASK;
        let i = Math.floor(lv.exponential(d.change_depth_mean));
        if (i >= this.L) i = this.L - 1;
        const q = this.freshQty(i, i > 0);
        if (side === BID) {
          this.bidQ[i] = q;
          out.push(BID, this.bidBest - i, q);
        } else {
          this.askQ[i] = q;
          out.push(ASK, this.askBest + i, q);
        }
      }
      this.nextUpdate = this.drawArrival(t);
    }
    this.nextTime = Math.min(this.nextUpdate, this.nextJump, this.nextPriceJump);
    return kind;
  }

  /** Truth quantity of a bid level at `ticks` (0 when not held). */
  bidQtyAt(ticks: number): number {
    const i = this.bidBest - ticks;
    return i >= 0 && i < this.L ? this.bidQ[i]! : 0;
  }

  /** The top `depth` held levels of each side, written straight into the book's one Float64Array. */
  snapshot(depth: number, time: number): OrderBook {
    const L = this.L;
    const n = Math.min(depth, L);
    const bq = this.bidQ;
    const aq = this.askQ;
    let nb = 0;
    let na = 0;
    for (let i = 0; i < L && nb < n; i++) if (bq[i]! > 0) nb++;
    for (let i = 0; i < L && na < n; i++) if (aq[i]! > 0) na++;
    // [bidTicks(nb) | bidQty(nb) | askTicks(na) | askQty(na)], best first (OrderBook's layout)
    const data = slabFloat64(2 * (nb + na));
    for (let i = 0, k = 0; k < nb; i++) {
      if (bq[i]! > 0) {
        data[k] = this.bidBest - i;
        data[nb + k] = bq[i]!;
        k++;
      }
    }
    const o = 2 * nb;
    for (let i = 0, k = 0; k < na; i++) {
      if (aq[i]! > 0) {
        data[o + k] = this.askBest + i;
        data[o + na + k] = aq[i]!;
        k++;
      }
    }
    const info = this.info;
    return new OrderBook({ symbol: info.symbol, tick: info.tick, qtyDecimals: info.qtyDecimals, lastUpdateId: this.lastId, exchangeTime: time, takenAt: time }, nb, na, data);
  }
}

/** The generated market. */
export class MarketSim implements MarketFeed {
  readonly instruments: readonly SymbolInfo[];
  private readonly syms: SymState[];
  private readonly bySymbol = new Map<string, SymState>();
  private readonly market: MarketParams;
  private t: number;
  private advancing = false;
  private readonly out: number[] = [];
  private readonly deliverer = new Deliverer();
  private readonly st: FeedStats = emptyStats();
  // heap of symbol indices by nextTime; index n = the connection (disconnect/reconnect markers)
  private readonly heap: number[] = [];
  private readonly pos: Int32Array;
  // connection
  private readonly rConn: Rng;
  private connNext = NEVER;
  private connDown = false;
  private connUp = -1;

  constructor(opts: MarketSimOptions) {
    this.market = opts.market;
    this.t = opts.start ?? 0;
    const seen = new Set<string>();
    for (const s of opts.symbols) {
      if (seen.has(s.symbol)) throw new Error(`duplicate symbol ${s.symbol}`);
      seen.add(s.symbol);
    }
    this.syms = opts.symbols.map((p, i) => new SymState(opts.seed, p, i, opts.market, this.t));
    for (const s of this.syms) this.bySymbol.set(s.info.symbol, s);
    this.instruments = Object.freeze(this.syms.map((s) => s.info));
    this.rConn = rngStream(opts.seed, 'market/connection');
    this.connNext = nextPoisson(this.rConn, this.t, this.market.faults.disconnect.rate_hz);
    this.pos = new Int32Array(this.syms.length + 1).fill(-1);
    this.keys = new Float64Array(this.syms.length + 1);
    this.syms.forEach((s, i) => (this.keys[i] = s.nextTime));
    this.keys[this.syms.length] = this.connNext;
    for (let i = 0; i <= this.syms.length; i++) this.heapPush(i);
  }

  get time(): number {
    return this.t;
  }

  info(symbol: string): SymbolInfo | undefined {
    return this.bySymbol.get(symbol)?.info;
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
    const s = this.bySymbol.get(symbol);
    if (!s) throw new UnknownSymbolError(symbol);
    return s.snapshot(depth, this.t);
  }

  /** Best bid / ask of the ground truth now (ticks). */
  best(symbol: string): { bid: number; ask: number } {
    const s = this.bySymbol.get(symbol);
    if (!s) throw new UnknownSymbolError(symbol);
    return { bid: s.bidBest, ask: s.askBest };
  }

  /** Next event time per heap member (symbols, then the connection). */
  private keys!: Float64Array;
  private keyOf(i: number): number {
    return this.keys[i]!;
  }
  private less(a: number, b: number): boolean {
    const ka = this.keys[a]!;
    const kb = this.keys[b]!;
    return ka < kb || (ka === kb && a < b); // ties: lower symbol index first, the connection last
  }
  private heapPush(i: number): void {
    const h = this.heap;
    h.push(i);
    this.pos[i] = h.length - 1;
    this.siftUp(h.length - 1);
  }
  private siftUp(j: number): void {
    const h = this.heap;
    while (j > 0) {
      const p = (j - 1) >> 1;
      if (!this.less(h[j]!, h[p]!)) break;
      const a = h[j]!;
      h[j] = h[p]!;
      h[p] = a;
      this.pos[h[j]!] = j;
      this.pos[a] = p;
      j = p;
    }
  }
  private siftDown(j: number): void {
    const h = this.heap;
    const n = h.length;
    for (;;) {
      const l = 2 * j + 1;
      const r = l + 1;
      let m = j;
      if (l < n && this.less(h[l]!, h[m]!)) m = l;
      if (r < n && this.less(h[r]!, h[m]!)) m = r;
      if (m === j) break;
      const a = h[j]!;
      h[j] = h[m]!;
      h[m] = a;
      this.pos[h[j]!] = j;
      this.pos[a] = m;
      j = m;
    }
  }

  advanceTo(target: number): void {
    if (this.advancing || !(target >= this.t)) return;
    this.advancing = true;
    try {
      const n = this.syms.length;
      for (;;) {
        const top = this.heap[0]!;
        const at = this.keyOf(top);
        if (!(at <= target)) break;
        this.t = at;
        if (top === n) {
          this.connectionStep(at);
          this.keys[n] = this.connNext;
        } else {
          const sym = this.syms[top]!;
          this.symbolStep(sym, at);
          this.keys[top] = sym.nextTime;
        }
        this.siftDown(0);
      }
      this.t = target;
    } finally {
      this.advancing = false;
    }
  }

  private connectionStep(t: number): void {
    const f = this.market.faults.disconnect;
    if (!this.connDown) {
      this.connDown = true;
      this.st.disconnects++;
      const dur = f.min_ms + (f.max_ms - f.min_ms) * this.rConn.next();
      this.connUp = t + dur;
      this.connNext = this.connUp;
      if (this.deliverer.active) this.deliverer.emit({ kind: 'marker', type: 'disconnect', t });
    } else {
      this.connDown = false;
      this.connNext = nextPoisson(this.rConn, t, f.rate_hz);
      if (this.deliverer.active) this.deliverer.emit({ kind: 'marker', type: 'reconnect', t });
    }
  }

  private symbolStep(s: SymState, t: number): void {
    const out = this.out;
    out.length = 0;
    const kind = s.step(out);
    const nIds = Math.max(1, out.length / 3);
    const U = s.lastId + 1;
    const u = s.lastId + nIds;
    s.lastId = u;
    const st = this.st;
    st.events++;
    if (kind === 'jump') st.jumps++;
    else if (kind === 'price_jump') st.priceJumps++;

    // Delivery fate. Each fault kind advances its own schedule whatever the others do.
    const f = this.market.faults;
    let fate: 'delivered' | 'held' | 'ws_silence' | 'seq_gap' | 'disconnect' = 'delivered';
    if (s.silenceStart <= t) {
      // a silence [start, end) began; schedule the next one after it ends
      s.silenceEnd = s.silenceStart + f.ws_silence.min_ms + (f.ws_silence.max_ms - f.ws_silence.min_ms) * s.rSil.next();
      s.silenceStart = nextPoisson(s.rSil, s.silenceEnd, f.ws_silence.rate_hz);
      st.silences++;
    }
    const silent = t < s.silenceEnd;
    if (s.nextGap <= t) {
      s.gapLeft = f.seq_gap.events;
      s.nextGap = nextPoisson(s.rGap, t, f.seq_gap.rate_hz);
    }
    const gap = s.gapLeft > 0;
    if (gap) s.gapLeft--;
    let ooo = false;
    if (s.nextOoo <= t) {
      ooo = true;
      s.nextOoo = nextPoisson(s.rOoo, t, f.out_of_order.rate_hz);
    }
    let cross = false;
    if (s.nextCross <= t) {
      cross = true;
      s.nextCross = nextPoisson(s.rCross, t, f.crossed.rate_hz);
    }
    if (this.connDown) fate = 'disconnect';
    else if (silent) fate = 'ws_silence';
    else if (gap) fate = 'seq_gap';
    else if (ooo && !s.hasHeld) fate = 'held';

    let extra: number[] | undefined;
    if (fate === 'delivered') {
      if (s.correction >= 0) {
        // restore the truth at the glitched price (as of now, after this event)
        extra = [BID, s.correction, s.bidQtyAt(s.correction)];
        s.correction = -1;
      }
      if (cross) {
        const px = s.askBest + Math.max(0, f.crossed.ticks - 1);
        const lots = Math.max(1, Math.round(this.market.depth.base_qty * s.qtyScale * (0.5 + s.rCross.next())));
        extra = extra ? extra.concat([BID, px, lots / s.qtyScale]) : [BID, px, lots / s.qtyScale];
        s.correction = px;
        st.crossed++;
      }
    }
    if (fate === 'delivered') st.delivered++;
    else if (fate === 'held') st.reordered++;
    else st.dropped[fate]++;

    const active = this.deliverer.active;
    let ev: MarketEvent | null = null;
    if (active) {
      ev = new MarketEvent(s.info, t, U, u, out.slice(), kind);
      this.deliverer.emit(extra ? { kind: 'event', ev, fate, extra } : { kind: 'event', ev, fate });
    }
    // A held event goes out right after the next event of its symbol (if the connection is up then).
    if (s.hasHeld && fate !== 'held') {
      const held = s.held;
      s.hasHeld = false;
      s.held = null;
      // (a held event lost to a disconnect is simply never delivered)
      if (!this.connDown) {
        st.delivered++;
        if (held && active) this.deliverer.emit({ kind: 'late', t, ev: held });
      }
    }
    if (fate === 'held') {
      s.hasHeld = true;
      s.held = ev;
    }
  }
}
