// Heap of 1,000 order books × depth 50 per side: the compact OrderBook (one Float64Array of integer ticks
// and quantities per book) vs the wire representation (nested [["price","qty"]] string arrays).
// Run: npm run build && npm run bench:book   (needs --expose-gc, set by the npm script)
import { MarketSim, marketParams } from '../dist/market/index.js';

if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc (npm run bench:book)');
  process.exit(2);
}
const BOOKS = 1000;
const DEPTH = 50;

function memUsed() {
  for (let i = 0; i < 5; i++) globalThis.gc();
  // typed-array backing stores live outside the JS heap: count them too
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

// 1,000 distinct books from the generator (20 symbols, 50 snapshots each at different times).
const symbols = Array.from({ length: 20 }, (_, i) => ({ symbol: `S${i}`, tick_size: i % 2 ? '0.01' : '0.00001', price: i % 2 ? '65000.00' : '0.15000', qty_decimals: 5, activity: 1 }));
const sim = new MarketSim({ seed: 1, symbols, market: marketParams({ update_rate_hz: 20, depth: { levels: 60, hole_prob: 0 } }) });
const compactSrc = [];
for (let k = 0; compactSrc.length < BOOKS; k++) {
  sim.advanceTo(k * 500);
  for (const s of symbols) if (compactSrc.length < BOOKS) compactSrc.push(sim.snapshot(s.symbol, DEPTH));
}
// Wire copies built from fresh strings (no sharing with the compact books).
const wireSrc = compactSrc.map((b) => JSON.parse(JSON.stringify(b.toSnapshot())));

function measure(make) {
  const before = memUsed();
  const held = make();
  const after = memUsed();
  if (held.length !== BOOKS) throw new Error('lost books');
  return after - before;
}

// Measure each representation in isolation: rebuild from a serialized form so the source arrays are not counted.
const compactJson = compactSrc.map((b) => ({ snap: b.toSnapshot(), symbol: b.symbol, tick: b.tick.str, qd: b.qtyDecimals }));
const wireJson = JSON.stringify(wireSrc);
compactSrc.length = 0;
wireSrc.length = 0;

const { OrderBook } = await import('../dist/index.js');
const compactBytes = measure(() => compactJson.map((c) => OrderBook.fromSnapshot(c.snap, c.symbol, c.tick, { qtyDecimals: c.qd })));
const wireBytes = measure(() => JSON.parse(wireJson));

const kb = (n) => `${(n / 1024).toFixed(0)} KiB`;
console.log(`books: ${BOOKS} × depth ${DEPTH} per side`);
console.log(`compact OrderBook (Float64Array ticks+qty): ${kb(compactBytes)}  (${(compactBytes / BOOKS).toFixed(0)} B/book)`);
console.log(`nested [["price","qty"]] strings:         ${kb(wireBytes)}  (${(wireBytes / BOOKS).toFixed(0)} B/book)`);
console.log(`ratio (strings / compact): ${(wireBytes / compactBytes).toFixed(1)}x`);
