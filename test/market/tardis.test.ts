/** #14: Tardis-style CSV → mdcache-events/1 (converter and file import), checked by replaying what it writes. */
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { importTardis } from '../../src/io/import-tardis.js';
import { parseReplay } from '../../src/market/jsonl.js';
import { CsvError, TardisConverter, plainDecimal, splitCsvLine } from '../../src/market/tardis.js';
import { ROOT } from '../helpers/cli.js';

const FIX = join(ROOT, 'test', 'fixtures', 'tardis');
const INC = join(FIX, 'binance_incremental_book_L2_BTCUSDT.csv');
const SNAP5 = join(FIX, 'binance_book_snapshot_5_BTCUSDT.csv');
const BTC = [{ symbol: 'BTCUSDT', tickSize: '0.01' }];
const HEAD = 'exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount';

/** Converts CSV text in memory; returns the output lines (header and end line as importTardis writes them). */
function convert(csv: string, opts: { symbols?: typeof BTC; durationMs?: number; file?: string } = {}): { lines: string[]; text: string } {
  const body: string[] = [];
  const c = new TardisConverter({ symbols: opts.symbols ?? BTC, durationMs: opts.durationMs, emit: (l) => body.push(l) });
  const file = opts.file ?? 'in.csv';
  csv.split('\n').forEach((l, i) => c.incrementalLine(file, i + 1, l));
  const st = c.finish(file);
  const header = JSON.stringify({ type: 'header', format: 'mdcache-events/1', scenario: 'imported', seed: 0, start_ms: 0, duration_ms: st.lastT, symbols: c.symbols.map((s) => ({ symbol: s.symbol, tick_size: s.tickSize, price: s.price, qty_decimals: st.qtyDecimals })) });
  const lines = [header, ...body, JSON.stringify({ type: 'end', t: st.lastT, events: st.events, delivered: st.delivered })];
  return { lines, text: lines.join('\n') + '\n' };
}

function refused(csv: string, opts: Parameters<typeof convert>[1] = {}): string {
  try {
    convert(csv, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).not.toContain('\n');
    return (err as Error).message;
  }
  throw new Error('expected the input to be refused');
}

/** The book a reader of the CSV rows builds by Tardis' rules (reset on a snapshot after updates), as price → qty. */
function referenceBooks(csv: string): Map<string, { bids: Map<number, number>; asks: Map<number, number> }> {
  const books = new Map<string, { bids: Map<number, number>; asks: Map<number, number>; lastSnap: boolean }>();
  for (const line of csv.trim().split('\n').slice(1)) {
    const [, sym, , , snap, side, price, amount] = line.split(',');
    let b = books.get(sym!);
    if (!b) books.set(sym!, (b = { bids: new Map(), asks: new Map(), lastSnap: false }));
    if (snap === 'true' && !b.lastSnap) {
      b.bids.clear();
      b.asks.clear();
    }
    b.lastSnap = snap === 'true';
    const m = side === 'bid' ? b.bids : b.asks;
    if (Number(amount) === 0) m.delete(Number(price));
    else m.set(Number(price), Number(amount));
  }
  return new Map([...books].map(([k, b]) => [k, { bids: b.bids, asks: b.asks }]));
}

function bookOf(feed: ReturnType<typeof parseReplay>, symbol: string): { bids: Map<number, number>; asks: Map<number, number> } {
  const s = feed.snapshot(symbol).toSnapshot();
  return { bids: new Map(s.bids.map(([p, q]) => [Number(p), Number(q)])), asks: new Map(s.asks.map(([p, q]) => [Number(p), Number(q)])) };
}

describe('plainDecimal / splitCsvLine', () => {
  it('turns plain and exponent forms into exact decimal strings; refuses the rest', () => {
    expect(plainDecimal('65000.1')).toBe('65000.1');
    expect(plainDecimal('0.00012')).toBe('0.00012');
    expect(plainDecimal('1e-8')).toBe('0.00000001');
    expect(plainDecimal('1.5e-7')).toBe('0.00000015');
    expect(plainDecimal('2.5E+3')).toBe('2500');
    expect(plainDecimal('12.345e1')).toBe('123.45');
    expect(plainDecimal('007')).toBe('7');
    for (const bad of ['', '-1', 'abc', '1.', '.5', 'NaN', 'Infinity', '1e', '1,5', ' 1', '0x10']) expect(plainDecimal(bad), bad).toBeUndefined();
  });

  it('exponent forms agree with the number they denote', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 9 }), fc.integer({ min: -12, max: 12 }), (m, e) => {
        const s = `${m}e${e}`;
        expect(Number(plainDecimal(s))).toBeCloseTo(Number(s), 10);
      }),
    );
  });

  it('splits on commas, drops a CR, refuses quoting', () => {
    expect(splitCsvLine('a,b,,c\r')).toEqual(['a', 'b', '', 'c']);
    expect(() => splitCsvLine('a,"b,c"')).toThrow(/quoted fields are not supported/);
  });
});

describe('incremental_book_L2 → mdcache-events/1', () => {
  const csv = readFileSync(INC, 'utf8');

  it('the fixture: one snapshot, one diff per message with consecutive ids, the mid-file snapshot a not-delivered catch-up', () => {
    const { lines } = convert(csv);
    const o = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(o[0]!.type).toBe('header');
    expect(o[1]).toMatchObject({ type: 'snapshot', t: 0, s: 'BTCUSDT', lastUpdateId: 1 });
    expect((o[1]!.bids as unknown[]).length).toBe(10);
    const diffs = o.filter((x) => x.type === 'diff');
    expect(diffs.map((d) => d.U)).toEqual(diffs.map((_, i) => i + 2)); // every message one id, none skipped in the truth
    expect(diffs.every((d) => d.U === d.u)).toBe(true);
    const catchUps = diffs.filter((d) => d.fate !== undefined);
    expect(catchUps).toHaveLength(1);
    expect(catchUps[0]!.fate).toBe('disconnect');
    // the rows' local_timestamps, relative to the first, in ms
    const ts = [...new Set(csv.trim().split('\n').slice(1).map((l) => Number(l.split(',')[3])))];
    expect(diffs.map((d) => d.t)).toEqual(ts.slice(1).map((x) => (x - ts[0]!) / 1000));
    expect(o.at(-1)).toEqual({ type: 'end', t: (ts.at(-1)! - ts[0]!) / 1000, events: 40, delivered: 39 });
  });

  it('replays: the ground truth ends on the book the CSV rows build, and the delivered stream has the gap at the reset', () => {
    const { text } = convert(csv);
    const feed = parseReplay(text, 'rec.jsonl');
    expect(feed.warnings).toEqual([]); // the ground truth has no gap
    const delivered: number[] = [];
    feed.onMessage((m) => {
      if (m.type === 'diff') delivered.push(m.diff.U);
    });
    feed.advanceTo(feed.endTime);
    expect(bookOf(feed, 'BTCUSDT')).toEqual(referenceBooks(csv).get('BTCUSDT'));
    const gaps = delivered.filter((u, i) => i > 0 && u !== delivered[i - 1]! + 1);
    expect(gaps).toHaveLength(1); // exactly where the catch-up was withheld
    expect(feed.stats()).toMatchObject({ events: 40, delivered: 39 });
  });

  it('property: any sequence of snapshots and updates replays to the book the rows build', () => {
    const level = fc.record({ side: fc.constantFrom('bid', 'ask'), k: fc.integer({ min: 0, max: 6 }), q: fc.oneof(fc.constant('0'), fc.integer({ min: 1, max: 99999 }).map((n) => (n / 1000).toString())) });
    const msg = fc.record({ snap: fc.boolean(), dt: fc.integer({ min: 0, max: 50_000 }), levels: fc.array(level, { minLength: 1, maxLength: 5 }) });
    fc.assert(
      fc.property(fc.array(msg, { minLength: 1, maxLength: 30 }), (msgs) => {
        // bids below 100.00, asks above: a snapshot is never crossed
        const px = (side: string, k: number): string => (side === 'bid' ? (99.9 - k * 0.1).toFixed(2) : (100.1 + k * 0.1).toFixed(2));
        let ts = 1_700_000_000_000_000;
        const rows = [HEAD, `x,BTCUSDT,${ts},${ts},true,bid,99.90,1`, `x,BTCUSDT,${ts},${ts},true,ask,100.10,1`];
        for (const m of msgs) {
          ts += m.dt + 1;
          for (const l of m.levels) rows.push(`x,BTCUSDT,${ts},${ts},${m.snap},${l.side},${px(l.side, l.k)},${m.snap && l.q === '0' ? '1' : l.q}`);
        }
        const text = rows.join('\n') + '\n';
        const feed = parseReplay(convert(text).text, 'p.jsonl');
        feed.advanceTo(feed.endTime);
        expect(bookOf(feed, 'BTCUSDT')).toEqual(referenceBooks(text).get('BTCUSDT'));
      }),
      { numRuns: 150 },
    );
  });

  it('--duration cuts the input: rows past it are not imported', () => {
    const { lines } = convert(csv, { durationMs: 1000 });
    const diffs = lines.map((l) => JSON.parse(l) as { type: string; t: number }).filter((x) => x.type === 'diff');
    expect(diffs.length).toBeGreaterThan(5);
    expect(Math.max(...diffs.map((d) => d.t))).toBeLessThanOrEqual(1000);
  });

  it('two symbols in one file, each with its own tick size and id sequence', () => {
    const two = [HEAD, 'x,AAA,1,1000,true,bid,9.99,1', 'x,AAA,1,1000,true,ask,10.01,1', 'x,BBB,1,1500,true,bid,0.5,2', 'x,BBB,1,1500,true,ask,0.502,2', 'x,AAA,1,2000,false,bid,9.98,3', 'x,BBB,1,2000,false,ask,0.503,1', 'x,BBB,1,3000,false,ask,0.503,0'].join('\n');
    const { text, lines } = convert(two, { symbols: [{ symbol: 'AAA', tickSize: '0.01' }, { symbol: 'BBB', tickSize: '0.001' }] });
    const o = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((x) => x.type === 'diff');
    expect(o.map((d) => [d.s, d.U, d.t])).toEqual([['AAA', 2, 1], ['BBB', 2, 1], ['BBB', 3, 2]]);
    const feed = parseReplay(text);
    feed.advanceTo(feed.endTime);
    expect(feed.snapshot('BBB').toSnapshot().asks).toEqual([['0.502', '2']]);
  });

  it('bad input: one line naming the file and line', () => {
    expect(refused('exchange,symbol,timestamp,local_timestamp,side,price,amount\n')).toBe('in.csv:1: missing column is_snapshot (an incremental_book_L2 header is exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount)');
    const ok = `${HEAD}\nx,BTCUSDT,1,10,true,bid,100.00,1\nx,BTCUSDT,1,10,true,ask,100.01,1\n`;
    expect(refused(ok + 'x,BTCUSDT,1,20,false,bid,abc,1')).toBe('in.csv:4: price "abc" is not a non-negative decimal number');
    expect(refused(ok + 'x,BTCUSDT,1,20,false,bid,99.99,-1')).toBe('in.csv:4: amount "-1" is not a non-negative decimal number');
    expect(refused(ok + 'x,BTCUSDT,1,5,false,bid,99.99,1')).toBe('in.csv:4: local_timestamp 5 goes backwards (previous row: 10)');
    expect(refused(ok + 'x,ETHUSDT,1,20,false,bid,99.99,1')).toBe('in.csv:4: symbol "ETHUSDT" is not being imported (--symbols BTCUSDT)');
    expect(refused(ok + 'x,BTCUSDT,1,20,false,bid,99.995,1')).toBe("in.csv:4: BTCUSDT: price '99.995' is not on the tick grid of 0.01");
    expect(refused(ok + 'x,BTCUSDT,1,20,false,buy,99.99,1')).toBe('in.csv:4: side "buy" must be bid or ask');
    expect(refused(ok + 'x,BTCUSDT,1,20,maybe,bid,99.99,1')).toBe('in.csv:4: is_snapshot "maybe" must be true or false');
    expect(refused(ok + 'x,BTCUSDT,1,2.5,false,bid,99.99,1')).toMatch(/^in\.csv:4: local_timestamp "2\.5" is not microseconds since the epoch/);
    expect(refused(ok + 'x,BTCUSDT,1,20,false,bid,99.99')).toBe('in.csv:4: 7 columns, the header has 8');
    expect(refused(ok + 'x,BTCUSDT,1,20,false,bid,"99.99",1')).toBe('in.csv:4: quoted fields are not supported (Tardis CSV has no quoting)');
    expect(refused(`${HEAD}\nx,BTCUSDT,1,20,false,bid,99.99,1\n`)).toMatch(/^in\.csv:2: BTCUSDT: an update before any snapshot of BTCUSDT/);
    expect(refused(`${HEAD}\nx,BTCUSDT,1,10,true,bid,100.02,1\nx,BTCUSDT,1,10,true,ask,100.01,1\nx,BTCUSDT,1,20,false,bid,99.99,1\n`)).toBe('in.csv:2: BTCUSDT: the snapshot starting here is crossed (best bid 100.02 >= best ask 100.01)');
    expect(refused('')).toBe('in.csv:1: empty file: no header line');
    expect(refused(ok, { symbols: [...BTC, { symbol: 'ETHUSDT', tickSize: '0.01' }] })).toBe('in.csv: no rows for ETHUSDT (check --symbols and the file)');
  });
});

describe('importTardis (files)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mdcache-tardis-'));

  it('a .gz file imports to exactly the same recording as the plain one; no temp file is left', async () => {
    const gz = join(dir, 'inc.csv.gz');
    writeFileSync(gz, gzipSync(readFileSync(INC)));
    const a = await importTardis({ incremental: INC, symbols: BTC, out: join(dir, 'a.jsonl') });
    const b = await importTardis({ incremental: gz, symbols: BTC, out: join(dir, 'b.jsonl') });
    const body = (f: string): string[] => readFileSync(join(dir, f), 'utf8').split('\n').slice(1); // the header names the input file
    expect(body('b.jsonl')).toEqual(body('a.jsonl'));
    expect(a).toMatchObject({ rows: 113, delivered: 39, resets: 1, qtyDecimals: 5, exchange: 'binance', lines: 43, cut: false });
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
    expect(b.durationMs).toBe(a.durationMs);
    const h = JSON.parse(readFileSync(join(dir, 'a.jsonl'), 'utf8').split('\n')[0]!) as Record<string, unknown>;
    expect(h).toMatchObject({ format: 'mdcache-events/1', scenario: 'imported', duration_ms: a.durationMs, symbols: [{ symbol: 'BTCUSDT', tick_size: '0.01', price: '60999.95', qty_decimals: 5 }] });
  });

  it('a corrupt or truncated gzip file, a missing file: one clear line, nothing written', async () => {
    const gz = gzipSync(readFileSync(INC));
    writeFileSync(join(dir, 'cut.csv.gz'), gz.subarray(0, gz.length >> 1));
    await expect(importTardis({ incremental: join(dir, 'cut.csv.gz'), symbols: BTC, out: join(dir, 'cut.jsonl') })).rejects.toThrow(/cut\.csv\.gz: not a valid gzip stream|cut\.csv\.gz:\d+: /);
    expect(existsSync(join(dir, 'cut.jsonl'))).toBe(false);
    await expect(importTardis({ incremental: join(dir, 'nope.csv'), symbols: BTC, out: join(dir, 'x.jsonl') })).rejects.toThrow('incremental file not found: ' + join(dir, 'nope.csv'));
    const bad = readFileSync(INC, 'utf8').replace('60999.75,1.1916', '60999.75,x');
    writeFileSync(join(dir, 'bad.csv'), bad);
    await expect(importTardis({ incremental: join(dir, 'bad.csv'), symbols: BTC, out: join(dir, 'bad.jsonl') })).rejects.toThrow(new RegExp(`^${join(dir, 'bad.csv')}:22: amount "x" is not a non-negative decimal number$`));
    expect(existsSync(join(dir, 'bad.jsonl'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('book_snapshot_N alone: every row becomes the replayed top-N book at its time', async () => {
    const out = join(dir, 's.jsonl');
    const r = await importTardis({ snapshots: SNAP5, symbols: BTC, out });
    const rows = readFileSync(SNAP5, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    expect(r.rows).toBe(rows.length);
    const feed = parseReplay(readFileSync(out, 'utf8'), out);
    const t0 = Number(rows[0]![3]);
    for (const row of rows) {
      feed.advanceTo((Number(row[3]) - t0) / 1000);
      const want = { asks: new Map<number, number>(), bids: new Map<number, number>() };
      for (let i = 0; i < 5; i++) {
        want.asks.set(Number(row[4 + 4 * i]), Number(row[5 + 4 * i]));
        want.bids.set(Number(row[6 + 4 * i]), Number(row[7 + 4 * i]));
      }
      expect(bookOf(feed, 'BTCUSDT')).toEqual(want);
    }
  });

  it('incremental without a snapshot + --snapshots: the initial book is the last book_snapshot row at or before the first update', async () => {
    // the incremental rows after the fixture's first second, without their snapshot rows
    const inc = readFileSync(INC, 'utf8').trim().split('\n');
    const head = inc[0]!;
    const body = inc.slice(1).filter((l) => l.includes(',false,') && Number(l.split(',')[3]) > 1709251200400000 && Number(l.split(',')[3]) < 1709251202900000);
    writeFileSync(join(dir, 'slice.csv'), [head, ...body].join('\n') + '\n');
    const out = join(dir, 'm.jsonl');
    const r = await importTardis({ incremental: join(dir, 'slice.csv'), snapshots: SNAP5, symbols: BTC, out });
    expect(r.delivered).toBeGreaterThan(10);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const snap = lines.find((l) => l.type === 'snapshot')!;
    // the snapshot row picked: the last with local_timestamp <= the first update's
    const first = Number(body[0]!.split(',')[3]);
    const rows = readFileSync(SNAP5, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const pick = rows.filter((x) => Number(x[3]) <= first).at(-1)!;
    expect((snap.asks as string[][])[0]).toEqual([pick[4], pick[5]]);
    expect(() => parseReplay(readFileSync(out, 'utf8'))).not.toThrow();
    // without --snapshots the same slice is refused at its first row
    await expect(importTardis({ incremental: join(dir, 'slice.csv'), symbols: BTC, out: join(dir, 'n.jsonl') })).rejects.toThrow(/slice\.csv:2: BTCUSDT: an update before any snapshot/);
  });

  it('CsvError carries the file and line', () => {
    const e = new CsvError('f.csv', 7, 'bad');
    expect([e.file, e.line, e.message, e instanceof UsageError]).toEqual(['f.csv', 7, 'f.csv:7: bad', true]);
  });
});
