/** Flag parsers shared by commands; each throws UsageError naming the flag, the value and what is allowed. */
import { UsageError } from '../core/errors.js';
import { parseDuration, durationHint } from '../core/duration.js';

export function durationFlag(flag: string) {
  return (value: string): number => {
    const ms = parseDuration(value);
    if (ms === undefined) throw new UsageError(`${flag}: ${durationHint(value)}`);
    return ms;
  };
}

export function intFlag(flag: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new UsageError(`${flag}: invalid value '${value}', expected a whole number in [${min}, ${max}]`);
    }
    return n;
  };
}
