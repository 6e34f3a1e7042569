/**
 * record → replay round trip against the loopback exchange with faults on (real sockets on 127.0.0.1, real
 * time): the recording's ground truth ends on the exchange's own truth, gaps and reconnects are represented
 * as documented, and a recording replays deterministically through `bench --source replay:` and `shadow`.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealClock } from '../../src/core/clock.js';
import { startExchange, type Exchange } from '../../src/exchange/server.js';
import { parseReplay } from '../../src/market/jsonl.js';
import { recordMarket, type RecordSummary } from '../../src/net/record.js';
import { ensureBuilt, start, waitForOutput } from '../helpers/cli.js';
import { feedOf, getJson, norm, scenario, truthAt, wire } from './helpers.js';
import { waitUntil } from '../helpers/wait.js';

const FAULTS = {
  seq_gap: { rate_hz: 1.5, events: 2 },
  out_of_order: { rate_hz: 1 },
  crossed: { rate_hz: 0.5, ticks: 1 },
  disconnect: { rate_hz: 0.4, min_ms: 100, max_ms: 200 },
};
const SYMBOLS = ['BTCUSDT', 'SOLUSDT'];
let dir: string;
let exchange: Exchange;
let summary: RecordSummary;
let file: string;

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'mdcache-record-'));
  exchange = await startExchange({ clock: new RealClock(), scenario: scenario({ market: { faults: FAULTS } }) });
  for (const s of SYMBOLS) await getJson(`${exchange.restUrl}/_truth?symbol=${s}`); // start the truth history
  file = join(dir, 'rec.jsonl');
  summary = await recordMarket({ restUrl: exchange.restUrl, wsUrl: exchange.wsUrl, symbols: SYMBOLS, durationMs: 4000, out: file, clock: new RealClock(), depth: 100 });
}, 60_000);

afterAll(async () => {
  await exchange?.close();
});

describe('mdcache record (library) against the loopback exchange with faults', () => {
  it('writes a well-formed mdcache-events/1 file: header, a snapshot per symbol, diffs, catch-ups, markers, end', () => {
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ type: 'header', format: 'mdcache-events/1', start_ms: 0, symbols: [{ symbol: 'BTCUSDT', tick_size: '0.01' }, { symbol: 'SOLUSDT', tick_size: '0.001' }] });
    expect(lines.filter((l) => l.type === 'snapshot').map((l) => [l.s, l.t])).toEqual([['BTCUSDT', 0], ['SOLUSDT', 0]]);
    expect(lines.at(-1)).toMatchObject({ type: 'end' });
    expect(summary.diffs).toBeGreaterThan(20);
    expect(lines.filter((l) => l.type === 'diff' && l.fate === undefined)).toHaveLength(summary.diffs);
    // the faults happened and are represented: a gap resync is an undelivered seq_gap catch-up
    expect(summary.resyncs.gap).toBeGreaterThan(0);
    expect(lines.some((l) => l.type === 'diff' && l.fate === 'seq_gap')).toBe(true);
    if (summary.disconnects > 0) {
      expect(lines.some((l) => l.type === 'disconnect')).toBe(true);
      expect(lines.some((l) => l.type === 'diff' && l.fate === 'disconnect')).toBe(true);
    }
    const ts = lines.slice(1).map((l) => l.t as number);
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
    expect(summary.interrupted).toBe(false);
    expect(summary.durationMs).toBeGreaterThanOrEqual(4000);
  });

  it("the replayed ground truth ends on the client's final book, which is the exchange's own truth at that id", async () => {
    const feed = parseReplay(readFileSync(file, 'utf8'), file);
    feed.advanceTo(feed.endTime);
    let compared = 0;
    for (const s of SYMBOLS) {
      const local = summary.finalBooks[s];
      if (!local) continue; // resyncing at the very end: nothing to compare
      const replayed = wire(feed.snapshot(s));
      expect(replayed, `${s}: replayed id ${replayed.lastUpdateId}, local id ${local.lastUpdateId}`).toEqual(wire(local));
      const t = await truthAt(exchange.restUrl, s, local.lastUpdateId);
      expect({ lastUpdateId: replayed.lastUpdateId, bids: replayed.bids, asks: replayed.asks }).toEqual({ lastUpdateId: t.lastUpdateId, bids: norm(t.bids), asks: norm(t.asks) });
      compared++;
    }
    expect(compared).toBeGreaterThan(0);
  });
});

describe('mdcache record (CLI) → bench --source replay / shadow', () => {
  it('replays deterministically: two benches and two shadows of a recording are identical but for run info', async () => {
    const runTwice = async (args: (i: number) => string[]) => {
      const out: Record<string, unknown>[] = [];
      for (const i of [1, 2]) {
        const r = await start(args(i), dir).exited;
        expect(r.code, r.err).toBe(0);
        expect(r.out.split('\n')[0]).toMatch(args(i).includes('shadow') ? /^mdcache shadow: / : /^mdcache bench: /); // the terminal heading names the command
        const res = JSON.parse(readFileSync(join(dir, `${args(i).includes('shadow') ? 's' : 'b'}${i}`, 'results.json'), 'utf8')) as Record<string, unknown>;
        delete res.run;
        out.push(res);
      }
      expect(JSON.stringify(out[1])).toBe(JSON.stringify(out[0]));
      return out[0]!;
    };
    const bench = await runTwice((i) => ['bench', '--source', 'replay:rec.jsonl', '--duration', '4s', '--window', '1s', '--out', `b${i}`, '--no-progress', '--no-gate']);
    expect((bench.scenario as Record<string, unknown>).source).toBe('replay');
    expect(((bench.paths as Record<string, Record<string, unknown>>).cached!.cache as Record<string, Record<string, number>>).invalidations!.seq_gap!).toBeGreaterThan(0);
    writeFileSync(join(dir, 'prod.yaml'), 'source: { type: replay, file: rec.jsonl }\nshadow: { duration: 4s }\n');
    const shadow = await runTwice((i) => ['shadow', '--config', 'prod.yaml', '--out', `s${i}`, '--no-metrics', '--no-gate']);
    expect((shadow.shadow as { compared: number }).compared).toBeGreaterThan(10);
  }, 120_000);

  it('SIGINT stops a recording early and writes a well-formed file of what was recorded; exit 0', async () => {
    const run = start(['record', '--rest-url', exchange.restUrl, '--ws-url', exchange.wsUrl, '--symbols', 'BTCUSDT', '--duration', '10m', '--out', 'int.jsonl', '--no-progress'], dir);
    await waitForOutput(run, /mdcache record: BTCUSDT/, { timeoutMs: 20_000 });
    // let it record something: the exchange has sent 10 more frames (awaited on its generator's messages)
    const m0 = exchange.stats().ws.messages;
    await waitUntil('10 frames sent to the recorder', () => exchange.stats().ws.messages - m0 >= 10, [feedOf(exchange)], 20_000);
    run.child.kill('SIGINT');
    const r = await run.exited;
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/wrote int\.jsonl: \d+ lines, \d+ diffs over [\d.]+ s.*\(stopped early\)/);
    const feed = parseReplay(readFileSync(join(dir, 'int.jsonl'), 'utf8'), 'int.jsonl');
    expect(feed.header.duration_ms).toBeGreaterThan(0);
    expect(feed.header.duration_ms).toBeLessThan(60_000);
  }, 60_000);

  it('bad input exits 2 with the flag named', async () => {
    const noSyms = await start(['record', '--rest-url', exchange.restUrl, '--ws-url', exchange.wsUrl, '--symbols', ',', '--out', 'x.jsonl'], dir).exited;
    expect(noSyms.code).toBe(2);
    expect(noSyms.err).toContain('--symbols');
    const badUrl = await start(['record', '--rest-url', 'ftp://x', '--ws-url', exchange.wsUrl, '--symbols', 'BTCUSDT', '--out', 'x.jsonl'], dir).exited;
    expect(badUrl.code).toBe(2);
    expect(badUrl.err).toContain('--rest-url');
    const unknown = await start(['record', '--rest-url', exchange.restUrl, '--ws-url', exchange.wsUrl, '--symbols', 'NOPEUSDT', '--out', 'x.jsonl'], dir).exited;
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('NOPEUSDT not listed');
  }, 60_000);
});
