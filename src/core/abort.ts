/**
 * The part of AbortSignal that a cancellable operation reads. AbortSignal satisfies it; so does the context
 * MDCache hands to a refresh, without creating an AbortController (an AbortSignal is an EventTarget: creating one
 * per refresh and listening on it cost the simulator about a tenth of its time).
 */
export interface AbortLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** A real AbortSignal for `a` (for APIs that need one, such as fetch): `a` itself, its `signal`, or a bridge. */
export function toAbortSignal(a: AbortLike | undefined): AbortSignal | undefined {
  if (a === undefined || a instanceof AbortSignal) return a;
  const own = (a as { signal?: unknown }).signal;
  if (own instanceof AbortSignal) return own;
  const ac = new AbortController();
  if (a.aborted) ac.abort(a.reason);
  else a.addEventListener('abort', () => ac.abort(a.reason), { once: true });
  return ac.signal;
}
