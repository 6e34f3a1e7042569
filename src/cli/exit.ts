/** Exit codes, and the one boundary that turns errors into messages and codes. */
import { ConfigError, UsageError } from '../core/errors.js';

export const EXIT = { ok: 0, gate: 1, usage: 2, internal: 70 } as const;

/** Thrown by commands that have finished and want a specific exit code (e.g. a failed gate). */
export class ExitCode extends Error {
  constructor(readonly code: number, message = '') {
    super(message);
    this.name = 'ExitCode';
  }
}

export function exitCodeFor(err: unknown): { code: number; message: string } {
  if (err instanceof ExitCode) return { code: err.code, message: err.message };
  if (err instanceof ConfigError) return { code: EXIT.usage, message: `mdcache: ${err.message}` };
  if (err instanceof UsageError) return { code: EXIT.usage, message: `mdcache: ${err.message}` };
  const e = err as { code?: string; exitCode?: number; message?: string };
  // commander's own errors (unknown option, missing argument): it has already printed them.
  if (typeof e?.code === 'string' && e.code.startsWith('commander.')) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return { code: 0, message: '' };
    return { code: EXIT.usage, message: '' };
  }
  const stack = err instanceof Error ? err.stack ?? err.message : String(err);
  return { code: EXIT.internal, message: `mdcache: internal error (please report): ${stack}` };
}
