import { describe, it, expect } from 'vitest';
import { MarketSim } from '../../src/market/sim.js';
import { marketParams, type SymbolParams } from '../../src/market/params.js';
import { LocalBook } from '../../src/market/local-book.js';
import { parseReplay } from '../../src/market/jsonl.js';
import type { FeedMessage, FeedRecord } from '../../src/market/feed.js';
import { parseScenario } from '../../src/scenario/scenario.js';
import { generateLines } from '../../src/scenario/generate.js';
import { priceToTicks } from '../../src/market/ticks.js';

const SYMS: SymbolParams[] = [
  { symbol: 'BTCUSDT', tick_size: '0.01', price: '65000.00', qty_decimals: 5, activity: 1 },
  { symbol: 'DOGEUSDT', tick_size: '0.00001', price: '0.15000', qty_decimals: 0, activity: 0.5 },
  { symbol: 'XAUT', tick_size: '0.5', price: '2400.0', qty_decimals: 3, activity: 2 },
];

function scenarioText(faults = '', seed = 5): string {
  return `
name: t
seed: ${seed}
symbols:
  - { symbol: BTCUSDT, tick_size: "0.01", price: "65000.00" }
  - { symbol: DOGEUSDT, tick_size: "0.00001", price: "0.15000", qty_decimals: 0, activity: 0.5 }
market:
  update_rate_hz: 20
  diffusion_ticks: 1.5
  jumps: { rate_hz: 0.2, mean_ticks: 30 }
  depth: { levels: 40 }
${faults}
`;
}

function jsonl(text: string, durationMs: number, seed?: number): string {
  const chunks: string[] = [];
  generateLines({ scenario: parseScenario(text), durationMs, seed }, (c) => chunks.push(c));
  return chunks.join('');
}

describe('MarketSim generator', () => {
  it('same seed → identical JSONL bytes; different seed differs', () => {
    const faults = `  faults:
    seq_gap: { rate_hz: 1 }
    out_of_order: { rate_hz: 0.5 }
    crossed: { rate_hz: 0.5 }
    ws_silence: { rate_hz: 0.2, min_ms: 300, max_ms: 900 }
    disconnect: { rate_hz: 0.05, duration_ms: 1500 }
    price_jump: { rate_hz: 0.2, ticks: 25 }`;
    const a = jsonl(scenarioText(faults), 60_000);
    const b = jsonl(scenarioText(faults), 60_000);
    expect(a.length).toBeGreaterThan(10_000);
    expect(a === b).toBe(true);
    expect(jsonl(scenarioText(faults), 60_000, 6) === a).toBe(false);
  });

  it('advancing in different steps yields the same stream (laziness does not change draws)', () => {
    const mk = () => new MarketSim({ seed: 1, symbols: SYMS, market: marketParams({ update_rate_hz: 30, faults: { seq_gap: { rate_hz: 1 } } }) });
    const a = mk();
    const b = mk();
    const ra: string[] = [];
    const rb: string[] = [];
    a.onRecord((r) => ra.push(r.kind === 'event' ? `${r.ev.symbol}/${r.ev.U}/${r.fate}/${r.ev.t}` : r.kind));
    b.onRecord((r) => rb.push(r.kind === 'event' ? `${r.ev.symbol}/${r.ev.U}/${r.fate}/${r.ev.t}` : r.kind));
    a.advanceTo(20_000);
    for (let t = 0; t <= 20_000; t += 7.3) b.advanceTo(t);
    b.advanceTo(20_000);
    expect(rb).toEqual(ra);
    expect(a.snapshot('BTCUSDT').toSnapshot()).toEqual(b.snapshot('BTCUSDT').toSnapshot());
  });

  it('a symbol\'s stream does not change when other symbols or faults are added', () => {
    const stream = (syms: SymbolParams[], faults = {}) => {
      const s = new MarketSim({ seed: 3, symbols: syms, market: marketParams({ faults }) });
      const out: string[] = [];
      s.onRecord((r) => {
        if (r.kind === 'event' && r.ev.symbol === 'BTCUSDT') out.push(JSON.stringify(r.ev.toWire()));
      });
      s.advanceTo(10_000);
      return out;
    };
    const base = stream([SYMS[0]!]);
    expect(stream(SYMS)).toEqual(base);
    expect(stream([SYMS[0]!], { seq_gap: { rate_hz: 2 }, crossed: { rate_hz: 1 } })).toEqual(base);
  });

  it('ids are continuous (u - U + 1 = ids in the event), the truth never crosses, prices stay on the grid', () => {
    const sim = new MarketSim({ seed: 9, symbols: SYMS, market: marketParams({ update_rate_hz: 50, diffusion_ticks: 3, jumps: { rate_hz: 1, mean_ticks: 60 }, depth: { levels: 30 } }) });
    const last = new Map<string, number>();
    let n = 0;
    sim.onRecord((r) => {
      if (r.kind !== 'event') return;
      const ev = r.ev;
      const prev = last.get(ev.symbol);
      if (prev !== undefined) expect(ev.U).toBe(prev + 1);
      expect(ev.u - ev.U + 1).toBe(ev.changes.length / 3);
      last.set(ev.symbol, ev.u);
      const w = ev.toWire();
      for (const [p] of [...w.b, ...w.a]) priceToTicks(p, ev.info.tick);
      const best = sim.best(ev.symbol);
      expect(best.bid).toBeLessThan(best.ask);
      n++;
    });
    sim.advanceTo(30_000);
    expect(n).toBeGreaterThan(2000);
  });

  it('snapshot is consistent with the stream: initial snapshot + delivered diffs (no faults) = later snapshot', () => {
    const sim = new MarketSim({ seed: 11, symbols: SYMS, market: marketParams({ update_rate_hz: 40, diffusion_ticks: 2, jumps: { rate_hz: 0.5, mean_ticks: 50 }, depth: { levels: 50, hole_prob: 0.2 } }) });
    const books = new Map(SYMS.map((s) => [s.symbol, new LocalBook(s.symbol, s.tick_size, { qtyDecimals: s.qty_decimals })]));
    for (const s of SYMS) books.get(s.symbol)!.applySnapshot(sim.snapshot(s.symbol));
    sim.onMessage((m) => {
      if (m.type === 'diff') expect(books.get(m.symbol)!.onDiff(m.diff)).toBe('applied');
    });
    for (const t of [1000, 5000, 20_000, 60_000]) {
      sim.advanceTo(t);
      for (const s of SYMS) {
        const truth = sim.snapshot(s.symbol);
        const local = books.get(s.symbol)!.toBook();
        expect(local.lastUpdateId).toBe(truth.lastUpdateId);
        expect(local.toSnapshot()).toEqual(truth.toSnapshot());
        expect(sim.snapshot(s.symbol, 5).toSnapshot()).toEqual(local.toSnapshot(5));
      }
    }
  });

  it('update arrivals are Poisson at the configured rate; Hawkes keeps the mean rate but is burstier', () => {
    const count = (hawkes?: { alpha: number; beta: number }) => {
      const sim = new MarketSim({ seed: 2, symbols: [SYMS[0]!], market: marketParams({ update_rate_hz: 20, hawkes }) });
      const times: number[] = [];
      sim.onRecord((r) => r.kind === 'event' && times.push(r.ev.t));
      sim.advanceTo(600_000);
      const perSec = new Array(600).fill(0);
      for (const t of times) perSec[Math.floor(t / 1000)]++;
      const mean = times.length / 600;
      const variance = perSec.reduce((s, c) => s + (c - mean) ** 2, 0) / 600;
      return { mean, dispersion: variance / mean };
    };
    const p = count();
    expect(p.mean).toBeGreaterThan(19.4);
    expect(p.mean).toBeLessThan(20.6);
    expect(p.dispersion).toBeLessThan(1.3);
    const h = count({ alpha: 10, beta: 20 });
    expect(h.mean).toBeGreaterThan(18.5);
    expect(h.mean).toBeLessThan(21.5);
    expect(h.dispersion).toBeGreaterThan(2);
  });
});

describe('faults occur at roughly their rates', () => {
  const run = (faults: object, ms = 600_000, rate = 20) => {
    const sim = new MarketSim({ seed: 21, symbols: [SYMS[0]!], market: marketParams({ update_rate_hz: rate, faults }) });
    const msgs: FeedMessage[] = [];
    const recs: FeedRecord[] = [];
    sim.onMessage((m) => msgs.push(m));
    sim.onRecord((r) => recs.push(r));
    sim.advanceTo(ms);
    return { sim, msgs, recs, st: sim.stats() };
  };
  const within = (x: number, expected: number, tol = 0.15) => {
    expect(x).toBeGreaterThan(expected * (1 - tol));
    expect(x).toBeLessThan(expected * (1 + tol));
  };

  it('no faults: every event delivered in order', () => {
    const { st, msgs } = run({});
    expect(st.delivered).toBe(st.events);
    expect(msgs.every((m) => m.type === 'diff')).toBe(true);
  });

  it('seq_gap drops `events` events at rate_hz', () => {
    const { st, msgs } = run({ seq_gap: { rate_hz: 1, events: 2 } });
    within(st.dropped.seq_gap, 600 * 2);
    let gaps = 0;
    let last: number | undefined;
    for (const m of msgs) if (m.type === 'diff') {
      if (last !== undefined && m.diff.U > last + 1) gaps++;
      last = m.diff.u;
    }
    within(gaps, 600);
  });

  it('out_of_order swaps two consecutive events at rate_hz', () => {
    const { st, msgs } = run({ out_of_order: { rate_hz: 0.5 } });
    within(st.reordered, 300);
    let backwards = 0;
    let last: number | undefined;
    for (const m of msgs) if (m.type === 'diff') {
      if (last !== undefined && m.diff.u < last) backwards++;
      last = m.diff.u;
    }
    expect(backwards).toBe(st.reordered);
    expect(st.delivered).toBe(st.events);
  });

  it('ws_silence stops the delivered stream for min..max ms at rate_hz; truth continues', () => {
    const { st, msgs } = run({ ws_silence: { rate_hz: 0.1, min_ms: 800, max_ms: 1200 } });
    within(st.silences, 60, 0.3);
    let long = 0;
    let last = 0;
    for (const m of msgs) {
      if (m.t - last > 700) long++;
      last = m.t;
    }
    within(long, st.silences, 0.1);
    expect(st.dropped.ws_silence).toBeGreaterThan(st.silences * 10);
  });

  it('disconnect emits disconnect/reconnect markers and drops events in between', () => {
    const { st, msgs } = run({ disconnect: { rate_hz: 0.05, min_ms: 2000, max_ms: 2000 } });
    within(st.disconnects, 30, 0.5);
    const markers = msgs.filter((m) => m.type !== 'diff');
    expect(markers.length).toBeGreaterThanOrEqual(2 * st.disconnects - 1);
    for (let i = 0; i + 1 < markers.length; i += 2) {
      expect(markers[i]!.type).toBe('disconnect');
      expect(markers[i + 1]!.type).toBe('reconnect');
      expect(markers[i + 1]!.t - markers[i]!.t).toBeCloseTo(2000, 6);
      expect(msgs.some((m) => m.type === 'diff' && m.t > markers[i]!.t && m.t < markers[i + 1]!.t)).toBe(false);
    }
    within(st.dropped.disconnect, st.disconnects * 2 * 20, 0.3);
  });

  it('price_jump moves the truth mid by exactly K ticks at rate_hz', () => {
    const sim = new MarketSim({ seed: 4, symbols: [SYMS[0]!], market: marketParams({ update_rate_hz: 20, faults: { price_jump: { rate_hz: 0.2, ticks: 40 } } }) });
    let prev = sim.best('BTCUSDT');
    let jumps = 0;
    sim.onRecord((r) => {
      const now = sim.best('BTCUSDT');
      if (r.kind === 'event' && r.ev.kind === 'price_jump') {
        jumps++;
        expect(Math.abs(now.bid - prev.bid)).toBe(40);
      }
      prev = now;
    });
    sim.advanceTo(600_000);
    within(jumps, 120, 0.25);
  });

  it('crossed glitches cross the delivered book and the next delivered event corrects it; the truth stays uncrossed', () => {
    const { sim, msgs, st } = run({ crossed: { rate_hz: 0.2, ticks: 2 } }, 300_000);
    within(st.crossed, 60, 0.3);
    const lb = new LocalBook('BTCUSDT', '0.01', { qtyDecimals: 5 });
    const fresh = new MarketSim({ seed: 21, symbols: [SYMS[0]!], market: marketParams({ update_rate_hz: 20 }) });
    lb.applySnapshot(fresh.snapshot('BTCUSDT'));
    let crossings = 0;
    for (const m of msgs) {
      if (m.type !== 'diff') continue;
      expect(lb.onDiff(m.diff)).toBe('applied');
      const c = lb.book.isCrossed();
      if (c) crossings++;
    }
    expect(crossings).toBe(st.crossed);
    if (!lb.book.isCrossed()) expect(lb.toBook().toSnapshot()).toEqual(sim.snapshot('BTCUSDT').toSnapshot());
  });
});

describe('JSONL record and replay', () => {
  it('replay reproduces the delivered messages and the ground-truth snapshots of a faulty run', () => {
    const faults = `  faults:
    seq_gap: { rate_hz: 1 }
    out_of_order: { rate_hz: 0.5 }
    crossed: { rate_hz: 0.5 }
    ws_silence: { rate_hz: 0.2, min_ms: 300, max_ms: 900 }
    disconnect: { rate_hz: 0.05, duration_ms: 1500 }
    price_jump: { rate_hz: 0.2, ticks: 25 }`;
    const sc = parseScenario(scenarioText(faults));
    const text = jsonl(scenarioText(faults), 60_000);
    const replay = parseReplay(text, 'mem.jsonl');
    const sim = new MarketSim({ seed: sc.seed, symbols: sc.symbols.list!, market: sc.market });
    const a: string[] = [];
    const b: string[] = [];
    const fmt = (m: FeedMessage) => (m.type === 'diff' ? `${m.t} ${JSON.stringify(m.diff.toWire())}` : `${m.t} ${m.type}`);
    sim.onMessage((m) => a.push(fmt(m)));
    replay.onMessage((m) => b.push(fmt(m)));
    for (const t of [0, 10_000, 30_000, 60_000]) {
      sim.advanceTo(t);
      replay.advanceTo(t);
      for (const s of ['BTCUSDT', 'DOGEUSDT']) expect(replay.snapshot(s, 20).toSnapshot()).toEqual(sim.snapshot(s, 20).toSnapshot());
    }
    expect(b.length).toBeGreaterThan(500);
    expect(b).toEqual(a);
    const ss = sim.stats();
    const rs = replay.stats();
    expect(rs.events).toBe(ss.events);
    expect(rs.delivered).toBe(ss.delivered);
    expect(rs.dropped).toEqual(ss.dropped);
    expect(rs.crossed).toBe(ss.crossed);
  });

  it('malformed lines are reported with their line numbers', () => {
    const text = jsonl(scenarioText(), 2000).split('\n');
    text[3] = '{"type":"diff","t":1,"s":"NOPE","U":1,"u":1,"b":[],"a":[]}';
    text[4] = 'not json';
    text[5] = '{"type":"diff","t":1,"s":"BTCUSDT","U":1,"u":1,"b":[["1.001","1"]],"a":[]}';
    try {
      parseReplay(text.join('\n'), 'bad.jsonl');
      expect.unreachable();
    } catch (err) {
      const msg = (err as Error).message;
      expect(msg).toMatch(/invalid bad\.jsonl/);
      expect(msg).toMatch(/line 4: symbol NOPE is not in the header/);
      expect(msg).toMatch(/line 5: not valid JSON/);
      expect(msg).toMatch(/line 6: price '1.001' is not on the tick grid/);
    }
    expect(() => parseReplay('{"type":"diff"}\n')).toThrow(/line 1: expected the header line first/);
    expect(() => parseReplay('')).toThrow(/empty file/);
  });
});
