/** Typed errors; the CLI boundary maps them to exit codes (2 bad input, 70 internal). */

export interface Problem {
  /** Dotted path of the offending field, e.g. `md_cache.ttl_ms` (empty for the document itself). */
  path: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  return p.path ? `${p.path}: ${p.message}` : p.message;
}

/** Invalid configuration or scenario: carries every problem found, not just the first. */
export class ConfigError extends Error {
  readonly problems: Problem[];
  readonly source: string | undefined;
  constructor(problems: Problem[], source?: string) {
    const head = source ? `invalid ${source}` : 'invalid configuration';
    super(`${head}:\n${problems.map((p) => '  ' + formatProblem(p)).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
    this.source = source;
  }
}

/** Bad command-line usage or unreadable input file (exit 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Every refresh attempt for a symbol failed; `cause` is the last attempt's error. */
export class RefreshError extends Error {
  readonly symbol: string;
  readonly attempts: number;
  constructor(symbol: string, attempts: number, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`refresh of ${symbol} failed after ${attempts} attempt(s): ${why}`, { cause });
    this.name = 'RefreshError';
    this.symbol = symbol;
    this.attempts = attempts;
  }
}

/** The cache was closed: a get made after close() rejects with this. */
export class CacheClosedError extends Error {
  constructor(readonly symbol: string) {
    super(`cache closed: cannot get ${symbol}`);
    this.name = 'CacheClosedError';
  }
}

/** A refresh attempt that exceeded its time budget. */
export class TimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimeoutError';
  }
}

/**
 * The cache did not call `refresh`: a server's Retry-After (a 429's, or a 418 ban's) that was longer than the
 * retry budget (`retry.max_ms`) still runs for `retryAfterMs`. Sending during it would be wasted, and on
 * Binance a request during a 429's Retry-After gets the client banned (418).
 */
export class RetryAfterError extends Error {
  constructor(
    message: string,
    /** Milliseconds of the Retry-After left. */
    readonly retryAfterMs: number,
  ) {
    super(message);
    this.name = 'RetryAfterError';
  }
}
