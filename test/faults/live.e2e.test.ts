/**
 * The fault matrix (see matrix.ts), live rows: the WebSocket book and the cache against the loopback exchange
 * on real sockets and the real clock. They take about 4 s each, so they run with FAULTS_LIVE=1
 * (`npm run test:faults`), which also prints the table kept in the README.
 */
import { describe, it, afterAll } from 'vitest';
import { FAULTS, expectClean, printTable, runLive, type CaseResult } from './matrix.js';

const rows: CaseResult[] = [];
afterAll(() => printTable('live', rows));

describe.runIf(process.env.FAULTS_LIVE === '1')('fault matrix: WsBook + cache against the loopback exchange (real sockets, real time)', () => {
  for (const f of FAULTS.filter((x) => x.modes.includes('live'))) {
    it(`${f.name}: ${f.what}`, async () => {
      expectClean(await runLive(f), rows, f);
    }, 120_000);
  }
});
