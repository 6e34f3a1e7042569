/**
 * Fleet simulation (virtual time): N pipeline processes quote the same symbols on the same market, each with
 * its own cache, REST source and feed invalidator, optionally all sharing one simulated L2 (SimServer) that
 * runs the same SharedTier logic (leases, epochs, fallback) as the Redis tier. Each process ticks every
 * symbol on its own seeded arrival stream (the scenario's pipeline.ticks) and gets the book once per tick —
 * the fetch_md stage, which is all that costs REST weight.
 *
 * The fleet runs twice on identical draws, with the shared tier and L1-only, so the report can show the
 * fleet's REST weight both ways against rest.budget.
 */
import { VirtualClock } from '../core/clock.js';
import { rngStream } from '../core/rng.js';
import { MDCache } from '../cache/md-cache.js';
import { SharedTier } from '../cache/shared/tier.js';
import { SimServer, type SimFaults } from '../cache/shared/sim-store.js';
import { latencySampler, type LatencySpec } from '../market/latency.js';
import { bookCodec } from '../market/book-codec.js';
import type { OrderBook } from '../market/book.js';
import { DEFAULT_WEIGHT_BUDGET_PER_MIN } from '../market/rest-cost.js';
import { arrivalIntervals } from '../pipeline/arrivals.js';
import { createMarket, type Scenario } from '../scenario/scenario.js';
import type { RestResult } from '../results/types.js';
import type { BenchScenario } from './bench-scenario.js';
import { feedMarket } from './synthetic-market.js';
import { RestMeter, meteredSource } from './rest-meter.js';

export interface FleetSharedSpec {
  /** Round trip of one store command. */
  latency: LatencySpec;
  faults: SimFaults;
  lease_ms: number;
  command_timeout_ms: number;
  breaker_reset_ms: number;
}

export interface FleetSpec {
  processes: number;
  /** The shared tier; undefined = the fleet runs L1-only only. */
  shared?: FleetSharedSpec;
}

export interface FleetProcessResult {
  process: number;
  gets: number;
  /** Gets that failed (RefreshError); a shared-tier failure never shows here. */
  errors: number;
  rest: { requests: number; weight: number };
  hits: number;
  stale_hits: number;
  misses: number;
  l2_hits?: number;
  lease_wins?: number;
  lease_waits?: number;
  shared_errors?: number;
  fallbacks?: number;
}

export interface FleetResult {
  processes: number;
  /**
   * `simulated` (virtual time, this file) or `processes` (real worker processes against an exchange,
   * `bench --source binance --processes N`, merged from their results). Absent = simulated.
   */
  mode?: 'simulated' | 'processes';
  /**
   * The shared tier: the simulated L2's round trip and faults, or (real processes) the Redis URL; null = none
   * (every process refreshes on its own).
   */
  shared: { latency?: LatencySpec; faults?: SimFaults; lease_ms: number; redis?: string } | null;
  /** Fleet totals with the shared tier (or L1-only when there is none). */
  rest: RestResult;
  /**
   * Fleet totals when every process refreshes on its own (same draws). Absent for real processes run with a
   * shared tier (one run measures one way; run again without --shared for the L1-only figure).
   */
  rest_l1_only?: RestResult;
  /** rest.weight_per_min.mean / rest_l1_only.weight_per_min.mean (absent with rest_l1_only). */
  weight_ratio?: number;
  budget_weight_per_min: number;
  per_process: FleetProcessResult[];
}

/** A process' meter that also counts into the fleet's. */
class TeeMeter extends RestMeter {
  constructor(
    windowMs: number,
    weights: ConstructorParameters<typeof RestMeter>[1],
    private readonly fleet: RestMeter,
  ) {
    super(windowMs, weights);
  }
  override sent(t: number, limit: number, charged = true): void {
    super.sent(t, limit, charged);
    this.fleet.sent(t, limit, charged);
  }
  override throttledAt(t: number, status = 429): void {
    super.throttledAt(t, status);
    this.fleet.throttledAt(t, status);
  }
  override refusedAt(t: number): void {
    super.refusedAt(t);
    this.fleet.refusedAt(t);
  }
}

interface OneRun {
  rest: RestResult;
  per: FleetProcessResult[];
}

async function runOnce(bench: BenchScenario, scenario: Scenario, seed: number, durationMs: number, windowMs: number, processes: number, shared: FleetSharedSpec | undefined): Promise<OneRun> {
  const clock = new VirtualClock(0);
  const feed = createMarket(scenario, { seed });
  const market = feedMarket({ clock, feed, rest: scenario.rest, seed });
  const server = shared ? new SimServer(clock, shared.faults) : undefined;
  const cfg = bench.mdCache;
  const fleetMeter = new RestMeter(windowMs, scenario.rest.weights);
  const procs = Array.from({ length: processes }, (_, p) => {
    const meter = new TeeMeter(windowMs, scenario.rest.weights, fleetMeter);
    const source = meteredSource(market.source('cached', `p${p}`), meter, clock);
    const tier =
      server && shared
        ? new SharedTier<OrderBook>({
            store: server.client(latencySampler(shared.latency, rngStream(seed, `fleet/shared/p${p}`))),
            codec: bookCodec,
            clock,
            leaseMs: shared.lease_ms,
            commandTimeoutMs: shared.command_timeout_ms,
            breakerResetMs: shared.breaker_reset_ms,
            bookTtlMs: cfg.max_stale_ms,
            origin: `p${p}`,
            registry: null,
          })
        : undefined;
    const jitter = rngStream(seed, `fleet/jitter/p${p}`);
    const cache = new MDCache<OrderBook>(cfg, { clock, registry: null, refresh: (s, ctx) => source.fetch(s, ctx.depth, ctx), shared: tier, random: () => jitter.next() });
    const detach = market.attachInvalidator(cache, cfg);
    return { meter, cache, detach, gets: 0, errors: 0 };
  });
  for (let p = 0; p < processes; p++) {
    const proc = procs[p]!;
    for (const symbol of market.symbols) {
      const next = arrivalIntervals(bench.pipeline.ticks, rngStream(seed, `fleet/p${p}/ticks/${symbol}`));
      const arrive = (): void => {
        market.advanceTo(symbol, clock.now());
        proc.gets++;
        proc.cache.get(symbol, { depth: cfg.max_depth }).catch(() => proc.errors++);
        const at = clock.now() + next();
        if (at < durationMs) clock.setTimeout(arrive, at - clock.now());
      };
      const first = next();
      if (first < durationMs) clock.setTimeout(arrive, first);
    }
  }
  await clock.advanceTo(durationMs);
  for (const p of procs) p.detach();
  // Let refreshes in flight finish (no new ticks), then stop every cache (and its probes).
  await clock.advance(Math.max(cfg.refresh_timeout_ms * cfg.retry.max_attempts + cfg.retry.max_ms * cfg.retry.max_attempts, 1000));
  fleetMeter.end(durationMs);
  const windows = Math.max(1, Math.ceil(durationMs / windowMs));
  const per = procs.map((p, i): FleetProcessResult => {
    p.meter.end(durationMs);
    const st = p.cache.stats();
    const sh = st.shared;
    p.cache.close();
    return {
      process: i,
      gets: p.gets,
      errors: p.errors,
      rest: { requests: p.meter.requests, weight: p.meter.weight },
      hits: st.hits,
      stale_hits: st.staleHits,
      misses: st.misses,
      ...(sh ? { l2_hits: sh.l2Hits, lease_wins: sh.leaseWins, lease_waits: sh.leaseWaits, shared_errors: sh.errors, fallbacks: sh.fallbacks } : {}),
    };
  });
  await clock.runUntilIdle();
  return { rest: fleetMeter.result(0, windows), per };
}

/** Runs the fleet with the shared tier and L1-only on the same draws. */
export async function runFleet(o: { bench: BenchScenario; scenario: Scenario; seed: number; durationMs: number; windowMs: number; fleet: FleetSpec }): Promise<FleetResult> {
  const { processes, shared } = o.fleet;
  const l1 = await runOnce(o.bench, o.scenario, o.seed, o.durationMs, o.windowMs, processes, undefined);
  const withShared = shared ? await runOnce(o.bench, o.scenario, o.seed, o.durationMs, o.windowMs, processes, shared) : l1;
  const ratio = l1.rest.weight_per_min.mean > 0 ? withShared.rest.weight_per_min.mean / l1.rest.weight_per_min.mean : 1;
  return {
    processes,
    shared: shared ? { latency: shared.latency, faults: shared.faults, lease_ms: shared.lease_ms } : null,
    rest: withShared.rest,
    rest_l1_only: l1.rest,
    weight_ratio: Math.round(ratio * 1000) / 1000,
    budget_weight_per_min: o.scenario.rest.budget?.weight_per_min ?? DEFAULT_WEIGHT_BUDGET_PER_MIN,
    per_process: withShared.per,
  };
}
