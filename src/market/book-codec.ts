/**
 * Compact binary form of an OrderBook (what the shared tier stores): a 40-byte header, the tick size string,
 * then the book's own packed Float64Array columns copied as they are (no JSON, no decimal strings):
 *
 *   u8 version(1) | u8 qtyDecimals | u16 tickLen | u32 bidCount | u32 askCount | u32 0 |
 *   f64 lastUpdateId | f64 exchangeTime | f64 takenAt | tick (ASCII, tickLen bytes, padded to 8) |
 *   f64 × 2·(bidCount + askCount)
 *
 * Little-endian. 50 levels a side: 40 + 8 + 1600 bytes.
 */
import { OrderBook } from './book.js';
import { parseTickSize } from './ticks.js';

const VERSION = 1;
const HEADER = 40;

export function encodeBook(book: OrderBook): Uint8Array {
  const tick = book.tick.str;
  const tickLen = tick.length;
  const tickPad = Math.ceil(tickLen / 8) * 8;
  const cols = book.columns();
  const out = new Uint8Array(HEADER + tickPad + cols.byteLength);
  const v = new DataView(out.buffer);
  v.setUint8(0, VERSION);
  v.setUint8(1, book.qtyDecimals);
  v.setUint16(2, tickLen, true);
  v.setUint32(4, book.bidCount, true);
  v.setUint32(8, book.askCount, true);
  v.setFloat64(16, book.lastUpdateId, true);
  v.setFloat64(24, book.exchangeTime, true);
  v.setFloat64(32, book.takenAt, true);
  for (let i = 0; i < tickLen; i++) out[HEADER + i] = tick.charCodeAt(i);
  out.set(new Uint8Array(cols.buffer, cols.byteOffset, cols.byteLength), HEADER + tickPad);
  return out;
}

/** `takenAt`: the reader's own clock time for the book (a writer's clock means nothing on another host). */
export function decodeBook(bytes: Uint8Array, symbol: string, takenAt?: number): OrderBook {
  if (bytes.byteLength < HEADER) throw new Error(`book encoding too short (${bytes.byteLength} bytes)`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = v.getUint8(0);
  if (version !== VERSION) throw new Error(`unknown book encoding version ${version}`);
  const qtyDecimals = v.getUint8(1);
  const tickLen = v.getUint16(2, true);
  const nb = v.getUint32(4, true);
  const na = v.getUint32(8, true);
  const tickPad = Math.ceil(tickLen / 8) * 8;
  const n = 2 * (nb + na);
  if (bytes.byteLength !== HEADER + tickPad + 8 * n) throw new Error(`book encoding has ${bytes.byteLength} bytes, expected ${HEADER + tickPad + 8 * n}`);
  let tick = '';
  for (let i = 0; i < tickLen; i++) tick += String.fromCharCode(bytes[HEADER + i]!);
  const data = new Float64Array(n);
  new Uint8Array(data.buffer).set(bytes.subarray(HEADER + tickPad, HEADER + tickPad + 8 * n));
  return new OrderBook(
    { symbol, tick: parseTickSize(tick), qtyDecimals, lastUpdateId: v.getFloat64(16, true), exchangeTime: v.getFloat64(24, true), takenAt: takenAt ?? v.getFloat64(32, true) },
    nb,
    na,
    data,
  );
}

/** The codec the shared tier takes for OrderBook values. */
export const bookCodec = { encode: encodeBook, decode: decodeBook };
