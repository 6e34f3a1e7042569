/**
 * The fault matrix (see matrix.ts), live rows: the WebSocket book and the cache against the loopback exchange
 * on real sockets and the real clock. They take about 4 s each, so they run with FAULTS_LIVE=1
 * (`npm run test:faults`), which also prints the table kept in the README.
 */
import { describe, it, afterAll, expect } from 'vitest';
import { FAULTS, expectClean, printTable, runLive, type CaseResult } from './matrix.js';

const rows: CaseResult[] = [];
afterAll(() => printTable('live', rows));

describe.runIf(process.env.FAULTS_LIVE === '1')('fault matrix: WsBook + cache against the loopback exchange (real sockets, real time)', () => {
  for (const f of FAULTS.filter((x) => x.modes.includes('live'))) {
    it(`${f.name}: ${f.what}`, async () => {
      const r = await runLive(f);
      expectClean(r, rows, f);
      // a slow reader is cut off by the exchange (its queue bounded: checked as the memory invariant)
      if (f.slowReader) {
        expect(r.slowDropped).toBeGreaterThan(0);
        expect(r.checkedTruth).toBeGreaterThan(0);
        // dropped, our WsBook reconnects and syncs every book again within the run
        if (f.slowReader.who === 'ws-book') expect(r.resyncs).toBeGreaterThanOrEqual(2);
      }
      else expect(r.slowDropped).toBe(0);
    }, 120_000);
  }
});
