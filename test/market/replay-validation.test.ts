/** #15.12 / #15.28: what a replay file must hold; each problem is refused with its line number, gaps replay with a warning. */
import { describe, expect, it } from 'vitest';
import { parseReplay } from '../../src/market/jsonl.js';

const HEADER = '{"type":"header","format":"mdcache-events/1","scenario":"t","seed":1,"start_ms":0,"duration_ms":2000,"symbols":[{"symbol":"AAAUSDT","tick_size":"0.01","price":"10.00","qty_decimals":3}]}';
const SNAP = '{"type":"snapshot","t":0,"s":"AAAUSDT","lastUpdateId":100,"bids":[["9.99","1.000"]],"asks":[["10.01","1.000"]]}';
const diff = (U: number, u: number, t = 1): string => `{"type":"diff","t":${t},"s":"AAAUSDT","U":${U},"u":${u},"b":[["9.98","2.000"]],"a":[]}`;
const END = '{"type":"end","t":2000}';

function refused(lines: string[]): string {
  try {
    parseReplay(lines.join('\n'), 'r.jsonl');
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected the replay to be refused');
}

describe('replay validation', () => {
  it('a well-formed file replays without warnings', () => {
    const feed = parseReplay([HEADER, SNAP, diff(101, 101), diff(102, 104, 2), END].join('\n'));
    expect(feed.warnings).toEqual([]);
    expect(feed.instruments.map((i) => i.symbol)).toEqual(['AAAUSDT']);
  });

  it('refuses a header-only file and a symbol without a snapshot', () => {
    expect(refused([HEADER])).toMatch(/line 1: no snapshot line for AAAUSDT/);
    expect(refused([HEADER, END])).toMatch(/no snapshot line for AAAUSDT/);
    expect(refused([HEADER, diff(101, 101)])).toMatch(/line 2: a diff of AAAUSDT before its snapshot/);
  });

  it('refuses a crossed snapshot and a second snapshot', () => {
    const crossed = SNAP.replace('"9.99"', '"10.02"');
    expect(refused([HEADER, crossed])).toMatch(/line 2: the snapshot of AAAUSDT is crossed \(best bid 10.02 >= best ask 10.01\)/);
    expect(refused([HEADER, SNAP, SNAP])).toMatch(/line 3: a second snapshot of AAAUSDT/);
  });

  it('refuses repeated diff lines; accepts an event straddling the previous id (the sync procedure) and a catch-up moving back', () => {
    expect(refused([HEADER, SNAP, diff(101, 102), diff(101, 102)])).toMatch(/line 4: update ids 101\.\.102 of AAAUSDT repeat the previous \(up to 102\): a duplicated line\?/);
    expect(refused([HEADER, SNAP, diff(90, 95)])).toMatch(/line 3: update ids 90\.\.95 of AAAUSDT repeat the previous \(up to 100\)/);
    // the first event after a snapshot spans it (U <= lastUpdateId + 1 <= u), as recordings of aggregated streams do
    expect(parseReplay([HEADER, SNAP, diff(95, 103), diff(104, 104, 2), END].join('\n')).warnings).toEqual([]);
    // a catch-up (not delivered) onto an older resync snapshot after a reconnect
    const catchUp = '{"type":"diff","t":2,"s":"AAAUSDT","U":99,"u":99,"b":[],"a":[],"fate":"disconnect"}';
    expect(() => parseReplay([HEADER, SNAP, diff(101, 102), catchUp, diff(100, 100, 3), END].join('\n'))).not.toThrow();
  });

  it('refuses update ids that are negative, fractional or beyond 2^53', () => {
    expect(refused([HEADER, SNAP, diff(-5, 2)])).toMatch(/line 3: U must be a whole number in \[0, 2\^53\), got -5/);
    expect(refused([HEADER, SNAP, diff(101, 2 ** 70)])).toMatch(/line 3: u must be a whole number/);
    expect(refused([HEADER, SNAP.replace('100', '1.5')])).toMatch(/line 2: lastUpdateId must be a whole number/);
  });

  it('replays a gap in the update ids, with a warning naming the line', () => {
    const feed = parseReplay([HEADER, SNAP, diff(101, 101), diff(110, 111, 2), END].join('\n'));
    expect(feed.warnings).toEqual(['1 gap in the update ids (line 4: AAAUSDT ids jump from 101 to 110): the ground truth skips updates there']);
  });
});
