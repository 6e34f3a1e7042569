/**
 * A clock whose now() is cached for `resolutionMs` (lru-cache does the same with its `ttlResolution`, 1 ms by
 * default). Reading a high-resolution host clock costs ~45 ns — a third of a cache hit — so a live cache that
 * only needs millisecond TTLs can wrap its RealClock in this. Ages and TTL checks are then exact to within
 * `resolutionMs`. The cached time is dropped by a timer on the inner clock, so nothing stays scheduled while
 * the clock is not read. Meant for real clocks: on a VirtualClock use the clock itself.
 */
import type { Clock, TimerHandle } from '../core/clock.js';

export class CoarseClock implements Clock {
  private cached = 0;
  private valid = false;
  private readonly expire = (): void => {
    this.valid = false;
  };

  constructor(
    private readonly inner: Clock,
    private readonly resolutionMs = 1,
  ) {}

  now(): number {
    if (this.valid) return this.cached;
    this.cached = this.inner.now();
    this.valid = true;
    this.inner.setTimeout(this.expire, this.resolutionMs);
    return this.cached;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.inner.setTimeout(fn, ms);
  }
  clearTimeout(h: TimerHandle | undefined): void {
    this.inner.clearTimeout(h);
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.inner.sleep(ms, signal);
  }
}
