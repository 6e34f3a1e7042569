/** RealClock on the host's clock (real time, so in the e2e project; the rest of the clock tests are virtual). */
import { describe, expect, it } from 'vitest';
import { RealClock } from '../../src/core/clock.js';

describe('RealClock', () => {
  it('now() is monotonic and sleep waits about the asked time', async () => {
    const c = new RealClock();
    const t0 = c.now();
    await c.sleep(5);
    expect(c.now()).toBeGreaterThanOrEqual(t0 + 4);
  });

  it('sleep aborts with the signal reason', async () => {
    const c = new RealClock();
    const ac = new AbortController();
    const p = c.sleep(10_000, ac.signal);
    ac.abort(new Error('cancelled'));
    await expect(p).rejects.toThrow('cancelled');
  });

  it('clearTimeout cancels', async () => {
    const c = new RealClock();
    let fired = false;
    const h = c.setTimeout(() => (fired = true), 1);
    c.clearTimeout(h);
    await c.sleep(5);
    expect(fired).toBe(false);
  });
});
