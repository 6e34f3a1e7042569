/**
 * A clock whose now() is cached for `resolutionMs` (lru-cache does the same with its `ttlResolution`, 1 ms by
 * default). Reading a high-resolution host clock costs ~45 ns — a third of a cache hit — so a live cache that
 * only needs millisecond TTLs can wrap its RealClock in this. Ages and TTL checks are then exact to within
 * `resolutionMs`. The cached time is dropped by a timer on the inner clock, so nothing stays scheduled while
 * the clock is not read. Meant for real clocks: on a VirtualClock use the clock itself.
 */
import { WrappedClock, type Clock } from '../core/clock.js';

export class CoarseClock extends WrappedClock {
  private cached = 0;
  private valid = false;
  private readonly expire = (): void => {
    this.valid = false;
  };

  constructor(
    inner: Clock,
    private readonly resolutionMs = 1,
  ) {
    super(inner);
  }

  now(): number {
    if (this.valid) return this.cached;
    this.cached = this.inner.now();
    this.valid = true;
    this.inner.setTimeout(this.expire, this.resolutionMs);
    return this.cached;
  }
}
