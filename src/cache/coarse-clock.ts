/**
 * A clock whose now() is cached (lru-cache does the same with its `ttlResolution`, 1 ms by default). Reading a
 * high-resolution host clock costs about as much as the rest of a cache hit, so MDCache wraps a RealClock in
 * this by default (`timeResolutionMs`, 1 ms; 0 reads the clock on every get).
 *
 * The cached reading is dropped by a timer on the inner clock every `resolutionMs` while the clock is being
 * read — one timer re-armed per tick, not one per read, so a live loop that reads once per macrotask pays no
 * timer per read — and the timer stops after a few ticks without a read (nothing stays scheduled while the clock
 * is idle). A timer cannot fire inside a loop that never yields, so the reading is also dropped after
 * `maxReads` reads: now() is behind the inner clock by at most `resolutionMs` or `maxReads` reads' worth of
 * time, whichever ends first. Meant for real clocks: on a VirtualClock use the clock itself.
 */
import { WrappedClock, type Clock } from '../core/clock.js';

/** Ticks without a read after which the invalidation timer stops. */
const IDLE_TICKS = 3;

export class CoarseClock extends WrappedClock {
  private cached = 0;
  /** Reads left on the cached value (0 = read the inner clock). */
  private left = 0;
  private armed = false;
  // Stryker disable next-line BooleanLiteral: equivalent — only tick() reads it, and the first tick is armed by now(), which sets it
  private used = false;
  private idle = 0;
  private readonly tick = (): void => {
    this.left = 0;
    if (this.used) {
      this.used = false;
      this.idle = 0;
    } else if (++this.idle >= IDLE_TICKS) {
      this.armed = false;
      return;
    }
    this.inner.setTimeout(this.tick, this.resolutionMs);
  };

  constructor(
    inner: Clock,
    private readonly resolutionMs = 1,
    private readonly maxReads = 64,
  ) {
    super(inner);
  }

  now(): number {
    if (this.left > 0) {
      this.left--;
      return this.cached;
    }
    this.cached = this.inner.now();
    this.left = this.maxReads - 1;
    this.used = true;
    if (!this.armed) {
      this.armed = true;
      this.idle = 0;
      this.inner.setTimeout(this.tick, this.resolutionMs);
    }
    return this.cached;
  }
}
