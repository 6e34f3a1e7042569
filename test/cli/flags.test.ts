/** The CLI's up-front checks, in process: flag conflicts, run limits, listen errors, config kinds (#15.6, 7, 9, 13, 14, 21, 26, 29). */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { checkBenchFlags } from '../../src/cli/commands/bench.js';
import { checkCanaryLength, checkRunLength } from '../../src/cli/limits.js';
import { listenError } from '../../src/cli/listen.js';
import { documentKind } from '../../src/cli/commands/config.js';
import { symbolsFlag } from '../../src/net/bench-source.js';

const base = { source: 'synthetic', gate: true } as const;
const H = 3_600_000;

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('bench flag conflicts (#15.7, #15.26)', () => {
  it('--rest-url / --ws-url need --source binance', () => {
    expect(usage(() => checkBenchFlags({ ...base, restUrl: 'http://x' }))).toBe('--rest-url only applies to --source binance (the source is synthetic)');
    expect(usage(() => checkBenchFlags({ ...base, source: 'replay:f.jsonl', wsUrl: 'ws://x' }))).toBe('--ws-url only applies to --source binance (the source is replay:f.jsonl)');
    expect(() => checkBenchFlags({ ...base, source: 'binance', restUrl: 'http://x', wsUrl: 'ws://x', symbols: ['A'] })).not.toThrow();
  });

  it('--symbols conflicts with a replay; a list needs binance', () => {
    expect(usage(() => checkBenchFlags({ ...base, source: 'replay:f.jsonl', symbols: 5 }))).toBe("--symbols conflicts with --source replay:f.jsonl: a replay's symbols are the file's");
    expect(usage(() => checkBenchFlags({ ...base, symbols: ['A'] }))).toMatch(/a symbol list needs --source binance/);
    expect(() => checkBenchFlags({ ...base, symbols: 5 })).not.toThrow();
  });

  it('--junit with --no-gate is a conflict; an unknown source is refused', () => {
    expect(usage(() => checkBenchFlags({ ...base, gate: false, junit: 'j.xml' }))).toMatch(/^--junit conflicts with --no-gate/);
    expect(usage(() => checkBenchFlags({ ...base, source: 'kafka' }))).toMatch(/^--source: invalid value 'kafka'/);
  });

  it('--symbols 1.5 is a bad count, not a symbol list (#15.29)', () => {
    expect(usage(() => symbolsFlag('1.5'))).toBe("--symbols: invalid value '1.5', expected a whole number in [1, 10000]");
    expect(usage(() => symbolsFlag('100000'))).toMatch(/expected a whole number in \[1, 10000\] \(about 55 KB of memory per symbol\)/);
    expect(symbolsFlag('BTCUSDT,ETHUSDT')).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(symbolsFlag('12')).toBe(12);
  });
});

describe('run limits (#15.6, #15.21)', () => {
  it('virtual runs are at most 24h, real-clock runs 1h', () => {
    expect(usage(() => checkRunLength(99_999 * H, undefined, false))).toBe('--duration: 99999h is too long; a run simulates at most 24h (about 50 × the CPU time of a 30m run)');
    expect(usage(() => checkRunLength(2 * H, undefined, true))).toMatch(/on the real clock is too long; use at most 1h/);
    expect(() => checkRunLength(24 * H, undefined, false)).not.toThrow();
  });

  it('a window makes at most 1000 windows and is not longer than the run', () => {
    expect(usage(() => checkRunLength(60_000, 1, false))).toBe('--window: 1ms makes 60000 windows; a run has at most 1000 (each costs memory), so use --window 60ms or longer');
    expect(usage(() => checkRunLength(30 * 60_000, 100, false))).toMatch(/makes 18000 windows/);
    expect(usage(() => checkRunLength(60_000, 120_000, false))).toMatch(/longer than the run/);
    expect(() => checkRunLength(60_000, 60, false)).not.toThrow();
  });
});

describe('canary limits (#15.14)', () => {
  it('a step shorter than 10 s is refused; so are too long canaries and too many windows', () => {
    expect(usage(() => checkCanaryLength(1, 2, 0.2, false))).toBe('--step-duration: 1ms is too short; a step needs at least 10s (5 statistics windows of 2 s) to decide anything');
    expect(usage(() => checkCanaryLength(10 * H, 3, 60_000, false))).toMatch(/30h; a canary simulates at most 24h/);
    expect(usage(() => checkCanaryLength(30 * 60_000, 3, 60_000, true))).toMatch(/on the real clock is 90m; at most 1h/);
    expect(usage(() => checkCanaryLength(8 * H, 3, 20_000, false))).toMatch(/canary.window: 20s makes 4320 windows/);
    expect(() => checkCanaryLength(10 * 60_000, 3, 60_000, false)).not.toThrow();
  });
});

describe('listen errors (#15.13, #15.29)', () => {
  const err = (code: string, syscall: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code, syscall });
  it('bind failures name the flag, the address and the reason', () => {
    expect(listenError('127.0.0.1', 8080, err('EADDRINUSE', 'listen')).message).toBe('--port: cannot listen on 127.0.0.1:8080: the port is in use (use --port 0 for any free port)');
    expect(listenError('127.0.0.1', 80, err('EACCES', 'listen')).message).toMatch(/^--port: .*ports below 1024 need privileges/);
    expect(listenError('nope.invalid', 0, err('ENOTFOUND', 'getaddrinfo')).message).toBe('--host: cannot listen on nope.invalid:0: the host name does not resolve');
    expect(listenError('10.9.9.9', 0, err('EADDRNOTAVAIL', 'listen'), { host: '--metrics-host', port: '--metrics-port' }).message).toMatch(/^--metrics-host: cannot listen on 10.9.9.9:0: the address is not on this machine/);
    expect(listenError('h', 1, err('EADDRINUSE', 'listen'))).toBeInstanceOf(UsageError);
  });

  it('other errors pass through', () => {
    const e = new TypeError('boom');
    expect(listenError('h', 1, e)).toBe(e);
  });
});

describe('config validate detects the document kind (#15.9)', () => {
  it('operations config, scenario, cache config', () => {
    expect(documentKind({ source: 'synthetic', md_cache: {} })).toBe('prod');
    expect(documentKind({ canary: {} })).toBe('prod');
    expect(documentKind({ name: 'x', duration: '30m', market: {} })).toBe('scenario');
    expect(documentKind({ md_cache: { ttl_ms: 100 } })).toBe('config');
    expect(documentKind(null)).toBe('config');
  });
});
