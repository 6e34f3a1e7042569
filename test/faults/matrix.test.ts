/**
 * The fault matrix (see matrix.ts). `npm test` runs every fault in virtual time (60 simulated seconds each);
 * `npm run test:faults` adds the live runs against the loopback exchange and prints the table kept in the
 * README.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { FAULTS, matrixTable, runLive, runVirtual, type CaseResult } from './matrix.js';

const LIVE = process.env.FAULTS_LIVE === '1';
const rows: CaseResult[] = [];

afterAll(() => {
  if (process.env.FAULTS_TABLE) process.stdout.write(`\nFault matrix (violations per invariant; every tick checked)\n\n${matrixTable(rows)}\n\n`);
});

function expectClean(r: CaseResult): void {
  rows.push(r);
  expect(r.examples).toEqual([]);
  expect(Object.values(r.violations).reduce((a, b) => a + b, 0)).toBe(0);
  expect(r.ticks).toBeGreaterThan(0);
}

describe('fault matrix: the cache on the synthetic market (virtual time)', () => {
  for (const f of FAULTS.filter((x) => x.modes.includes('virtual'))) {
    it(`${f.name}: ${f.what}`, async () => {
      const r = await runVirtual(f);
      expectClean(r);
      expect(r.servedFromCache).toBeGreaterThan(0);
    });
  }
});

describe.runIf(LIVE)('fault matrix: WsBook + cache against the loopback exchange (real sockets, real time)', () => {
  for (const f of FAULTS.filter((x) => x.modes.includes('live'))) {
    it(`${f.name}: ${f.what}`, async () => {
      expectClean(await runLive(f));
    }, 120_000);
  }
});
