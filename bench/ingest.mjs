#!/usr/bin/env node
/**
 * Order-book ingest: mdcache's LocalBook with the exchange-protocol validation on, against ccxt's OrderBook
 * as ccxt's binance watchOrderBook drives it — on the same realistic stream: the generator's `volatile`
 * scenario (2 symbols, ~100 levels a side, bursty updates, jumps), ground-truth events as Binance
 * `depthUpdate` messages, from a depth snapshot.
 *
 *   mdcache  parseDepthSnapshot + LocalBook.applySnapshot, then per message parseDepthEvent (schema, integer
 *            ids, decimal strings, every price on the tick grid and inside PRICE_FILTER) + LocalBook.onDiff
 *            (sequence rules: drop stale, gap → resync)
 *   ccxt     ccxt.pro.binance: parseOrderBook + orderBook(snapshot), then per message the spot sequence check
 *            of its handleOrderBook (U/u against the nonce) + handleOrderBookMessage (safeFloat per level,
 *            OrderBookSide.store)
 *
 * Both get the same already-parsed message objects (JSON.parse is the same for both and not timed). After
 * every round both books must hold identical levels (price in ticks, quantity) or the script fails.
 * Rounds alternate which subject runs first; the ratio is the median over rounds of (ccxt time / mdcache
 * time) in the same round, with the min–max over rounds.
 *
 * Usage: npm run build && npm run bench:ingest [-- --minutes 5] [--rounds 15] [--json]
 */
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import ccxt from 'ccxt';
import { LocalBook } from '../dist/market/index.js';
import { loadScenario, createMarket } from '../dist/scenario/index.js';
import { parseExchangeInfo, parseDepthSnapshot, parseDepthEvent } from '../dist/net/index.js';
import { ticksToPrice, priceToTicks } from '../dist/market/index.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const arg = (flag, def) => {
  const i = args.indexOf(flag);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : def;
};
const MINUTES = arg('--minutes', 5);
const ROUNDS = arg('--rounds', 15);

// --- the stream: ground-truth events of `volatile` as wire messages, from a snapshot at t = 0
const scenario = loadScenario('volatile');
const feed = createMarket(scenario, { seed: scenario.seed });
const symbols = feed.instruments.map((i) => i.symbol);
const snapshots = new Map(symbols.map((s) => [s, feed.snapshot(s).toSnapshot()]));
const messages = new Map(symbols.map((s) => [s, []]));
feed.onRecord((r) => {
  if (r.kind === 'event') messages.get(r.ev.symbol).push(JSON.parse(JSON.stringify(r.ev.toWire())));
});
feed.advanceTo(MINUTES * 60_000);
let levelsTotal = 0;
let msgTotal = 0;
for (const list of messages.values()) for (const m of list) (msgTotal++, (levelsTotal += m.b.length + m.a.length));
const bookLevels = [...snapshots.values()].map((s) => s.bids.length + s.asks.length);

// exchangeInfo as the loopback exchange publishes it (PRICE_FILTER with a range)
const info = parseExchangeInfo({
  symbols: feed.instruments.map((i) => ({
    symbol: i.symbol,
    filters: [{ filterType: 'PRICE_FILTER', minPrice: i.tick.str, maxPrice: ticksToPrice(Math.max(priceToTicks(i.price, i.tick) * 1000, 1_000_000), i.tick), tickSize: i.tick.str }],
  })),
});

// --- subjects
function runMdcache() {
  const books = [];
  for (const s of symbols) {
    const sym = info.get(s);
    const lb = new LocalBook(s, sym.tick, { qtyDecimals: feed.info(s).qtyDecimals });
    lb.applySnapshot(parseDepthSnapshot(snapshots.get(s), sym));
    const list = messages.get(s);
    for (let i = 0; i < list.length; i++) {
      const r = lb.onDiff(parseDepthEvent(list[i], info));
      if (r !== 'applied') throw new Error(`mdcache: ${s} message ${i}: ${r}`);
    }
    books.push(lb);
  }
  return books;
}

const ex = new ccxt.pro.binance();
function runCcxt() {
  const books = [];
  for (const s of symbols) {
    const snap = snapshots.get(s);
    const ob = ex.orderBook({});
    const parsed = ex.parseOrderBook(snap, s);
    parsed.nonce = ex.safeInteger(snap, 'lastUpdateId');
    ob.reset(parsed);
    const list = messages.get(s);
    for (let i = 0; i < list.length; i++) {
      const message = list[i];
      // the spot branch of ccxt binance handleOrderBook (sequence check), then handleOrderBookMessage
      const nonce = ex.safeInteger(ob, 'nonce');
      const U = ex.safeInteger(message, 'U');
      const u = ex.safeInteger(message, 'u');
      if (u > nonce) {
        const timestamp = ex.safeInteger(ob, 'timestamp');
        const ok = timestamp === undefined ? U - 1 <= nonce && u - 1 >= nonce : U - 1 === nonce;
        if (!ok) throw new Error(`ccxt: ${s} message ${i}: out of sequence`);
        ex.handleOrderBookMessage(undefined, message, ob);
      }
    }
    books.push(ob);
  }
  return books;
}

/** Both books hold the same levels: ccxt's float prices on the tick grid and float amounts, vs ticks + quantities. */
function sameBooks(ours, theirs) {
  for (let k = 0; k < symbols.length; k++) {
    const b = ours[k].toBook();
    const o = theirs[k];
    const tick = info.get(symbols[k]).tick;
    const toTicks = (p) => priceToTicks(p.toFixed(tick.decimals), tick);
    if (b.bidCount !== o.bids.length || b.askCount !== o.asks.length) return `${symbols[k]}: ${b.bidCount}/${b.askCount} vs ${o.bids.length}/${o.asks.length} levels`;
    for (let i = 0; i < b.bidCount; i++) if (b.bidTicks(i) !== toTicks(o.bids[i][0]) || b.bidQty(i) !== o.bids[i][1]) return `${symbols[k]} bid ${i} differs`;
    for (let i = 0; i < b.askCount; i++) if (b.askTicks(i) !== toTicks(o.asks[i][0]) || b.askQty(i) !== o.asks[i][1]) return `${symbols[k]} ask ${i} differs`;
  }
  return undefined;
}

function timed(fn) {
  const t0 = performance.now();
  const r = fn();
  return [performance.now() - t0, r];
}

// warm-up (both JITs), and the identity check
for (let i = 0; i < 3; i++) {
  const diff = sameBooks(runMdcache(), runCcxt());
  if (diff) throw new Error(`books differ after ingest: ${diff}`);
}

const ours = [];
const theirs = [];
for (let r = 0; r < ROUNDS; r++) {
  let a, b, ra, rb;
  if (r % 2 === 0) {
    [a, ra] = timed(runMdcache);
    [b, rb] = timed(runCcxt);
  } else {
    [b, rb] = timed(runCcxt);
    [a, ra] = timed(runMdcache);
  }
  const diff = sameBooks(ra, rb);
  if (diff) throw new Error(`round ${r}: books differ after ingest: ${diff}`);
  ours.push(a);
  theirs.push(b);
}

const sorted = (x) => [...x].sort((p, q) => p - q);
const median = (x) => sorted(x)[Math.floor(x.length / 2)];
const ratios = ours.map((t, i) => theirs[i] / t);
const out = {
  machine: `${os.cpus()[0]?.model ?? '?'} × ${os.cpus().length}, node ${process.version}, load ${os.loadavg()[0].toFixed(1)}`,
  stream: { scenario: 'volatile', minutes: MINUTES, symbols: symbols.length, messages: msgTotal, level_changes: levelsTotal, snapshot_levels: bookLevels },
  rounds: ROUNDS,
  mdcache_msgs_per_s: Math.round(msgTotal / (median(ours) / 1000)),
  ccxt_msgs_per_s: Math.round(msgTotal / (median(theirs) / 1000)),
  ratio_median: Math.round(median(ratios) * 100) / 100,
  ratio_min: Math.round(Math.min(...ratios) * 100) / 100,
  ratio_max: Math.round(Math.max(...ratios) * 100) / 100,
  identical_books: true,
};
if (json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
else {
  console.log(`ingest of the volatile stream (${MINUTES} min: ${msgTotal} messages, ${levelsTotal} level changes, ${symbols.length} books of ${bookLevels.join('/')} levels), ${ROUNDS} interleaved rounds — ${out.machine}`);
  console.log(`mdcache LocalBook + validation: ${out.mdcache_msgs_per_s.toLocaleString('en-US')} msgs/s (median round)`);
  console.log(`ccxt OrderBook (binance handler): ${out.ccxt_msgs_per_s.toLocaleString('en-US')} msgs/s`);
  console.log(`ratio mdcache / ccxt: ${out.ratio_median}× (min ${out.ratio_min}, max ${out.ratio_max}); books identical after every round`);
}
