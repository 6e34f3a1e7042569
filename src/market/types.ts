/** Shapes shared by the market (generator, replay, network sources) and its consumers (cache, pipeline). */

/** An instrument with its exchange tick size as a decimal string (e.g. "0.01"). */
export interface Instrument {
  symbol: string;
  tick_size: string;
  /** Initial price as a decimal string on the tick grid. */
  price: string;
}

/** [price, qty] as exchange decimal strings. */
export type Level = [string, string];

/** A depth update as the exchange sends it (Binance spot diff-depth). */
export interface DepthDiff {
  e: 'depthUpdate';
  /** Exchange event time (ms). */
  E: number;
  s: string;
  U: number;
  u: number;
  b: Level[];
  a: Level[];
}

/** A REST depth snapshot as the exchange returns it. */
export interface DepthSnapshot {
  lastUpdateId: number;
  bids: Level[];
  asks: Level[];
}
