/**
 * Waiting in the e2e tests: a condition is checked once now and again each time one of the given events
 * fires — a WebSocket message, a child's output, a WsBook event — never on a polling timer.
 * The only timer is the deadline, which rejects with what was awaited (and `scrapeEvery`, for pull-only endpoints).
 */

/** Something with on/off (EventEmitter, ws WebSocket, a child's stdout, a net.Socket). */
export interface Emitter {
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
}

/** An event source: `[emitter, 'event']`, or a subscribe function that returns its unsubscribe. */
export type Trigger = readonly [Emitter, string] | ((recheck: () => void) => () => void);

/**
 * For a pull-only endpoint (an HTTP /metrics exposition pushes nothing): re-check every `ms`, as a Prometheus
 * scraper would. Use an event trigger wherever the thing awaited announces itself.
 */
export function scrapeEvery(ms: number): Trigger {
  return (recheck) => {
    const t = setInterval(recheck, ms);
    return () => clearInterval(t);
  };
}

/**
 * Resolves with the first truthy value of `cond`, checked now and after every event of `on`; rejects after
 * `timeoutMs` (or when `cond` throws). An async `cond` is never run twice at once: events that arrive while it
 * runs cause one more check after it.
 */
export function waitUntil<T>(what: string, cond: () => T | Promise<T>, on: readonly Trigger[], timeoutMs = 10_000): Promise<NonNullable<T>> {
  return new Promise<NonNullable<T>>((resolve, reject) => {
    const offs: (() => void)[] = [];
    let settled = false;
    let running = false;
    let again = false;
    const finish = (): void => {
      settled = true;
      clearTimeout(deadline);
      for (const off of offs) off();
    };
    const check = (): void => {
      if (settled) return;
      if (running) {
        again = true;
        return;
      }
      running = true;
      again = false;
      Promise.resolve()
        .then(cond)
        .then(
          (v) => {
            running = false;
            if (settled) return;
            if (v) {
              finish();
              resolve(v as NonNullable<T>);
            } else if (again) check();
          },
          (err: unknown) => {
            running = false;
            if (settled) return;
            finish();
            reject(err instanceof Error ? err : new Error(String(err)));
          },
        );
    };
    const deadline = setTimeout(() => {
      if (settled) return;
      finish();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    for (const t of on) {
      if (typeof t === 'function') offs.push(t(check));
      else {
        const [emitter, event] = t;
        const l = (): void => check();
        emitter.on(event, l);
        offs.push(() => emitter.off(event, l));
      }
    }
    check();
  });
}
