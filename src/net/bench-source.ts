/** `mdcache bench --source binance`: flag handling and the live-market factory handed to runBench. */
import type { Clock } from '../core/clock.js';
import { UsageError } from '../core/errors.js';
import { connectLiveMarket, type LiveMarket } from './live-market.js';
import { MAX_SYMBOLS } from '../scenario/scenario.js';

const SYMBOL_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/;

/** `--symbols`: a count (synthetic sources) or a comma-separated symbol list (`--source binance`). */
export function symbolsFlag(value: string): number | string[] {
  const v = value.trim();
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 1 || n > MAX_SYMBOLS) throw new UsageError(`--symbols: invalid value '${value}', expected a whole number in [1, ${MAX_SYMBOLS}] (about 55 KB of memory per symbol) or a list like BTCUSDT,ETHUSDT`);
    return n;
  }
  if (/^[-+]?[\d.eE+-]+$/.test(v) && /\d/.test(v) && !/[A-Za-z]{2}/.test(v)) throw new UsageError(`--symbols: invalid value '${value}', expected a whole number in [1, ${MAX_SYMBOLS}]`);
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = list.filter((s) => !SYMBOL_RE.test(s));
  if (list.length === 0 || bad.length > 0) throw new UsageError(`--symbols: invalid value '${value}', expected a count or a comma-separated list like BTCUSDT,ETHUSDT`);
  if (new Set(list).size !== list.length) throw new UsageError(`--symbols: '${value}' lists a symbol twice`);
  return list;
}

function checkUrl(flag: string, v: string | undefined, protocols: string[], example: string): string {
  if (!v) throw new UsageError(`${flag} is required with --source binance, e.g. ${flag} ${example}`);
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new UsageError(`${flag}: '${v}' is not a URL, e.g. ${example}`);
  }
  if (!protocols.includes(u.protocol)) throw new UsageError(`${flag}: '${v}' must be ${protocols.join(' or ')} (e.g. ${example})`);
  return v.replace(/\/+$/, '');
}

export interface BinanceSourceFlags {
  restUrl?: string;
  wsUrl?: string;
  symbols?: number | string[];
  /** REST request timeout (the scenario's rest.timeout_ms). */
  restTimeoutMs: number;
  /** Silence threshold of the WS book (md_cache.invalidate_on_ws_gap_ms). */
  silenceMs: number;
}

/** Validates the flags (UsageError) and returns the factory runBench calls with the host clock. */
export function binanceMarketFactory(f: BinanceSourceFlags): (hostClock: Clock) => Promise<LiveMarket> {
  const restUrl = checkUrl('--rest-url', f.restUrl, ['http:', 'https:'], 'http://127.0.0.1:8080');
  const wsUrl = checkUrl('--ws-url', f.wsUrl, ['ws:', 'wss:'], 'ws://127.0.0.1:8080');
  if (!Array.isArray(f.symbols)) throw new UsageError('--symbols: with --source binance give a comma-separated list of symbols, e.g. --symbols BTCUSDT,SOLUSDT');
  const symbols = f.symbols;
  return (clock) => connectLiveMarket({ restUrl, wsUrl, symbols, clock, restTimeoutMs: f.restTimeoutMs, wsBook: { silenceMs: f.silenceMs } });
}
