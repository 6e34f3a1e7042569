/**
 * The fault matrix (see matrix.ts), virtual rows: every fault in virtual time (60 simulated seconds each), in
 * the unit project. The live rows against the loopback exchange are in live.e2e.test.ts; `npm run test:faults`
 * runs both and prints the table kept in the README.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { FAULTS, expectClean, printTable, runVirtual, type CaseResult } from './matrix.js';

const rows: CaseResult[] = [];
afterAll(() => printTable('virtual', rows));

describe('fault matrix: the cache on the synthetic market (virtual time)', () => {
  for (const f of FAULTS.filter((x) => x.modes.includes('virtual'))) {
    it(`${f.name}: ${f.what}`, async () => {
      const r = await runVirtual(f);
      expectClean(r, rows, f);
      expect(r.servedFromCache).toBeGreaterThan(0);
    });
  }
});
