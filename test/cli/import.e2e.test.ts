/**
 * #14: `mdcache import tardis` (the built CLI) → `bench --source replay:` and `shadow`: the recording written from
 * the committed Tardis-style fixture (gzip, as Tardis serves it) replays deterministically; bad input is one line
 * naming the file and line, exit 2, and nothing is written.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ensureBuilt, start } from '../helpers/cli.js';

const FIX = join(ROOT, 'test', 'fixtures', 'tardis');
let dir: string;

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'mdcache-import-'));
  writeFileSync(join(dir, 'inc.csv.gz'), gzipSync(readFileSync(join(FIX, 'binance_incremental_book_L2_BTCUSDT.csv'))));
});

describe('mdcache import tardis (CLI)', () => {
  it('imports the fixture and replays it deterministically through bench and shadow', async () => {
    const imp = await start(['import', 'tardis', '--incremental', 'inc.csv.gz', '--symbols', 'BTCUSDT', '--tick-size', '0.01', '--out', 'rec.jsonl'], dir).exited;
    expect(imp.code, imp.err).toBe(0);
    expect(imp.err).toBe('wrote rec.jsonl: 43 lines from 113 rows: BTCUSDT (binance), 39 messages, 1 reset (mid-file snapshots → not-delivered catch-ups, so a replay sees the gap) over 4.1 s, quantities to 5 decimals\n');

    const runTwice = async (args: (i: number) => string[], sub: string): Promise<Record<string, unknown>> => {
      const out: string[] = [];
      for (const i of [1, 2]) {
        const r = await start(args(i), dir).exited;
        expect(r.code, r.err).toBe(0);
        const res = JSON.parse(readFileSync(join(dir, `${sub}${i}`, 'results.json'), 'utf8')) as Record<string, unknown>;
        delete res.run;
        out.push(JSON.stringify(res));
      }
      expect(out[1]).toBe(out[0]);
      return JSON.parse(out[0]!) as Record<string, unknown>;
    };
    const bench = await runTwice((i) => ['bench', '--source', 'replay:rec.jsonl', '--window', '1s', '--out', `b${i}`, '--no-progress', '--no-gate'], 'b');
    expect(bench.scenario).toMatchObject({ source: 'replay' });
    expect(Math.round(bench.duration_ms as number)).toBe(4110); // the whole recording (4,109.718 ms)
    // the mid-file snapshot (a reset) is seen by the replayed cache as a sequence gap
    const cached = (bench.paths as Record<string, { cache: { invalidations: Record<string, number> } }>).cached!;
    expect(cached.cache.invalidations.seq_gap).toBe(1);
    writeFileSync(join(dir, 'prod.yaml'), 'source: { type: replay, file: rec.jsonl }\nshadow: { duration: 4s }\n');
    const shadow = await runTwice((i) => ['shadow', '--config', 'prod.yaml', '--out', `s${i}`, '--no-metrics', '--no-gate'], 's');
    expect((shadow.shadow as { compared: number }).compared).toBeGreaterThan(10);
  });

  it('bad input: one line with FILE:LINE, exit 2, nothing written', async () => {
    const csv = readFileSync(join(FIX, 'binance_incremental_book_L2_BTCUSDT.csv'), 'utf8').split('\n');
    csv[30] = csv[30]!.replace(/,(\d+),false,/, ',1,false,'); // a local_timestamp that goes backwards
    writeFileSync(join(dir, 'back.csv'), csv.join('\n'));
    const r = await start(['import', 'tardis', '--incremental', 'back.csv', '--symbols', 'BTCUSDT', '--tick-size', '0.01', '--out', 'back.jsonl'], dir).exited;
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^mdcache: back\.csv:31: local_timestamp 1 goes backwards \(previous row: \d+\)\n$/);
    expect(existsSync(join(dir, 'back.jsonl'))).toBe(false);
    const unknown = await start(['import', 'tardis', '--incremental', 'inc.csv.gz', '--symbols', 'ETHUSDT', '--tick-size', '0.01', '--out', 'x.jsonl'], dir).exited;
    expect(unknown.code).toBe(2);
    expect(unknown.err).toBe('mdcache: inc.csv.gz:2: symbol "BTCUSDT" is not being imported (--symbols ETHUSDT)\n');
    const none = await start(['import', 'tardis', '--symbols', 'BTCUSDT', '--tick-size', '0.01', '--out', 'x.jsonl'], dir).exited;
    expect(none.code).toBe(2);
    expect(none.err).toContain('give --incremental FILE (incremental_book_L2) and/or --snapshots FILE (book_snapshot_N)');
    const tick = await start(['import', 'tardis', '--incremental', 'inc.csv.gz', '--symbols', 'BTCUSDT', '--tick-size', 'ETHUSDT=0.01', '--out', 'x.jsonl'], dir).exited;
    expect(tick.code).toBe(2);
    expect(tick.err).toBe('mdcache: --tick-size: ETHUSDT is not in --symbols BTCUSDT\n');
  });
});
