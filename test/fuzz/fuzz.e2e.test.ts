/**
 * Fuzzing of every parser the user or the network feeds (issue #15): each input parses or is rejected with
 * one clear error (ConfigError / UsageError → exit 2 at the CLI; MalformedError in the sources; a 4xx
 * {code,msg} from the exchange) — never another exception, a stack trace in the message, or a hang.
 * `npm test` runs FUZZ_RUNS=120 inputs per parser; `npm run test:fuzz` runs 2,000 and prints the table.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { WebSocket } from 'ws';
import { RealClock } from '../../src/core/clock.js';
import { startExchange, type Exchange } from '../../src/exchange/server.js';
import { scenario } from '../net/helpers.js';
import { fuzz, fuzzTable, type FuzzStats } from './harness.js';
import { exchangeTargets, parserTargets } from './targets.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 120);
const rows: FuzzStats[] = [];

let ex: Exchange;
let control: WebSocket;
// opened right before the exchange fuzzing (the synchronous parser runs above block the event loop for long
// stretches: an idle connection opened earlier would miss its pings and be dropped, correctly)
async function openExchange(): Promise<void> {
  ex = await startExchange({ scenario: scenario({ rest: { latency: { model: 'constant', ms: 0 } } }), clock: new RealClock(), restFaults: false });
  control = new WebSocket(`${ex.wsUrl}/ws`);
  await new Promise<void>((resolve, reject) => {
    control.once('open', () => resolve());
    control.once('error', reject);
  });
}
afterAll(async () => {
  control?.terminate();
  await ex?.close();
  if (process.env.FUZZ_TABLE) process.stdout.write(`\nFuzzing (fast-check, ${RUNS} inputs per parser, seed 20261127)\n\n${fuzzTable(rows)}\n\n`);
});

async function check(stats: FuzzStats): Promise<void> {
  rows.push(stats);
  expect(stats.samples).toEqual([]);
  expect(stats.crashes).toBe(0);
  expect(stats.hangs).toBe(0);
  expect(stats.tried).toBe(RUNS);
}

describe('fuzz: parsers', () => {
  for (const t of parserTargets()) {
    it(t.name, async () => check(await fuzz(t, RUNS)), 600_000);
  }
});

describe('fuzz: the loopback exchange over real sockets', () => {
  it('HTTP requests and WebSocket control messages: a reply for each, the server keeps serving', async () => {
    await openExchange();
    for (const t of exchangeTargets(ex, () => control)) await check(await fuzz(t, RUNS));
    expect(ex.stats().rest.internalErrors).toBe(0);
    expect(control.readyState).toBe(WebSocket.OPEN);
  }, 600_000);
});
