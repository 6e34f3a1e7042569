/**
 * Exact tick math on decimal strings: no floats. A price is a whole number of ticks; "0.3" at tick "0.1"
 * is 3 ticks. Numbers are used when every intermediate fits in 2^53, BigInt otherwise.
 *
 * Quantities are not on a grid: they are parsed into float64 (`Number("431.00000000")`) and formatted
 * back with a fixed number of decimals (`formatQty`). float64 holds 15–17 significant digits, so a
 * quantity with up to ~15 significant digits round-trips exactly through `formatQty(q, decimals)`.
 */

const DECIMAL_RE = /^(\d+)(?:\.(\d+))?$/;

/** Off-grid price, malformed decimal or a tick count out of range. */
export class TickError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TickError';
  }
}

/** A parsed tick size: `units` ticks-per-10^-decimals (tick "0.05" → decimals 2, units 5). */
export interface TickSize {
  readonly str: string;
  readonly decimals: number;
  readonly units: bigint;
  readonly unitsNum: number;
}

const tickCache = new Map<string, TickSize>();

/** Parses a tick size such as "0.01", "0.00001", "0.5", "1". Throws TickError when not a positive decimal. */
export function parseTickSize(tick: string | TickSize): TickSize {
  if (typeof tick !== 'string') return tick;
  const hit = tickCache.get(tick);
  if (hit) return hit;
  const m = DECIMAL_RE.exec(tick);
  if (!m) throw new TickError(`tick size '${tick}' is not a decimal number like 0.01`);
  const frac = m[2] ?? '';
  const units = BigInt(m[1]! + frac);
  if (units === 0n) throw new TickError(`tick size '${tick}' must be greater than 0`);
  if (frac.length > 18) throw new TickError(`tick size '${tick}' has more than 18 decimals`);
  // Normalise trailing zeros of the fraction away only for the decimals count used to format prices:
  // "0.10" keeps 2 decimals (prices are printed like the exchange prints the tick size).
  const ts: TickSize = Object.freeze({ str: tick, decimals: frac.length, units, unitsNum: Number(units) });
  tickCache.set(tick, ts);
  return ts;
}

/** True when `s` is a non-negative decimal string (no sign, no exponent). */
export function isDecimal(s: string): boolean {
  return DECIMAL_RE.test(s);
}

const POW10: number[] = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** Price decimal string → integer tick count. Throws TickError when malformed or not a multiple of the tick. */
export function priceToTicks(price: string, tickSize: string | TickSize): number {
  const tick = parseTickSize(tickSize);
  const m = DECIMAL_RE.exec(price);
  if (!m) throw new TickError(`price '${price}' is not a decimal number`);
  const intPart = m[1]!;
  const frac = m[2] ?? '';
  const d = Math.max(frac.length, tick.decimals);
  const digits = intPart.length + d;
  if (digits <= 15 && tick.unitsNum < 2 ** 53 / POW10[d - tick.decimals]!) {
    const p = Number(intPart + frac) * POW10[d - frac.length]!;
    const t = tick.unitsNum * POW10[d - tick.decimals]!;
    if (p % t !== 0) throw new TickError(`price '${price}' is not on the tick grid of ${tick.str}`);
    return p / t;
  }
  const p = BigInt(intPart + frac) * 10n ** BigInt(d - frac.length);
  const t = tick.units * 10n ** BigInt(d - tick.decimals);
  if (p % t !== 0n) throw new TickError(`price '${price}' is not on the tick grid of ${tick.str}`);
  const n = p / t;
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new TickError(`price '${price}' is ${n} ticks of ${tick.str}: too many`);
  return Number(n);
}

/** Integer tick count → price string with the tick size's decimals ("65000.00"). */
export function ticksToPrice(ticks: number, tickSize: string | TickSize): string {
  const tick = parseTickSize(tickSize);
  if (!Number.isSafeInteger(ticks) || ticks < 0) throw new TickError(`tick count ${ticks} is not a non-negative whole number`);
  const units = ticks * tick.unitsNum;
  const s = Number.isSafeInteger(units) ? String(units) : (BigInt(ticks) * tick.units).toString();
  const d = tick.decimals;
  if (d === 0) return s;
  const padded = s.length <= d ? '0'.repeat(d - s.length + 1) + s : s;
  return padded.slice(0, padded.length - d) + '.' + padded.slice(padded.length - d);
}

/** Rounds a (possibly off-grid) price to the nearest tick count; for generated data only. */
export function nearestTicks(price: string, tickSize: string | TickSize): number {
  const tick = parseTickSize(tickSize);
  const m = DECIMAL_RE.exec(price);
  if (!m) throw new TickError(`price '${price}' is not a decimal number`);
  const frac = m[2] ?? '';
  const d = Math.max(frac.length, tick.decimals);
  const p = BigInt(m[1]! + frac) * 10n ** BigInt(d - frac.length);
  const t = tick.units * 10n ** BigInt(d - tick.decimals);
  return Number((p + t / 2n) / t);
}

/** Quantity decimal string → float64. Throws TickError when malformed. */
export function parseQty(qty: string): number {
  if (!DECIMAL_RE.test(qty)) throw new TickError(`quantity '${qty}' is not a decimal number`);
  return Number(qty);
}

/** float64 quantity → decimal string with `decimals` decimals (exchange style, e.g. "431.00000000"). */
export function formatQty(qty: number, decimals: number): string {
  return qty.toFixed(decimals);
}
