/**
 * Merging the `shadow` blocks of several shadow runs (`mdcache merge`, and the parent of `shadow --processes N`):
 * exact, like the rest of a merge. The divergence distributions are rebuilt window by window from the runs'
 * `shadow.*.hlog` files and added; the counts (ticks compared, top-of-book and depth mismatches) are summed and
 * the ratios recomputed from the sums; the worst mismatches are the first `worst_limit` of all runs' lists in
 * the tracker's total order (largest difference, earlier tick, symbol) — the top of a union is the top of
 * the union of each run's top, so nothing a single run over all the ticks would list is lost.
 */
import { UsageError } from '../core/errors.js';
import { WindowedHistogram } from '../metrics/windowed.js';
import type { ShadowResult } from '../results/types.js';
import { SHADOW_HISTOGRAMS, worseFirst } from './divergence.js';
import type { LoadedRun } from './merge.js';
import { round6 } from './recorder.js';

const NAMES = [SHADOW_HISTOGRAMS.tob, SHADOW_HISTOGRAMS.depth, SHADOW_HISTOGRAMS.staleness] as const;

/** The unit ratio of a shadow histogram (whole exchange ticks and levels: 1; staleness in µs: 1000). */
export function shadowHistogramScale(name: string): number {
  return name === SHADOW_HISTOGRAMS.staleness ? 1000 : 1;
}

/** Whether a run's shadow block can be merged exactly: its counts and its three `.hlog` files are there. */
function complete(r: LoadedRun): boolean {
  const s = r.results.shadow;
  return s !== undefined && typeof s.tob_mismatched === 'number' && typeof s.depth_mismatched === 'number' && NAMES.every((n) => r.hlogs[n] !== undefined);
}

/**
 * What to do with the runs' shadow blocks: `merge` (every run is a shadow run with its histograms), or nothing
 * (none is). Throws UsageError (exit 2) for a mix of shadow and other runs and for different compared depths
 * (never mergeable), and for shadow runs without their histograms (older files) unless `force` — then the
 * shadow block is dropped, and `forced` says so.
 */
export function shadowPlan(runs: readonly LoadedRun[], force = false): { merge: boolean; forced?: string } {
  const withShadow = runs.filter((r) => r.results.shadow !== undefined);
  if (withShadow.length === 0) return { merge: false };
  if (withShadow.length < runs.length) {
    const other = runs.find((r) => r.results.shadow === undefined)!;
    throw new UsageError(`merge: cannot merge: ${withShadow[0]!.dir} is a shadow run and ${other.dir} is not (the merged divergence would cover only part of the ticks)`);
  }
  const depth = withShadow[0]!.results.shadow!.compared_depth;
  const differs = withShadow.find((r) => r.results.shadow!.compared_depth !== depth);
  if (differs) throw new UsageError(`merge: cannot merge: ${withShadow[0]!.dir} and ${differs.dir} compared different depths (shadow.compare_depth ${depth} vs ${differs.results.shadow!.compared_depth}), so their depth mismatches do not add`);
  const old = withShadow.find((r) => !complete(r));
  if (old) {
    const what = `${old.dir} has a shadow section without its divergence histograms (written by an older mdcache), so the divergence cannot be merged exactly`;
    if (!force) throw new UsageError(`merge: refusing to merge: ${what}; use --force to merge without the shadow section`);
    return { merge: false, forced: `${what} (the shadow section is left out)` };
  }
  return { merge: true };
}

/** The merged shadow block and its histograms (call only when shadowPlan says `merge`). */
export function mergeShadow(runs: readonly LoadedRun[], windowMs: number): { shadow: ShadowResult; histograms: WindowedHistogram[] } {
  const histograms = NAMES.map((n) => {
    const h = new WindowedHistogram(n, windowMs, shadowHistogramScale(n));
    for (const r of runs) h.absorb(r.hlogs[n]!.windows);
    return h;
  });
  const [tob, depth, staleness] = histograms as [WindowedHistogram, WindowedHistogram, WindowedHistogram];
  let compared = 0;
  let tobMismatched = 0;
  let depthMismatched = 0;
  let limit = 0;
  const worst = [];
  for (const r of runs) {
    const s = r.results.shadow!;
    compared += s.compared;
    tobMismatched += s.tob_mismatched!;
    depthMismatched += s.depth_mismatched!;
    limit = Math.max(limit, s.worst_limit ?? s.worst.length);
    worst.push(...s.worst);
  }
  worst.sort(worseFirst);
  const shadow: ShadowResult = {
    compared,
    tob_mismatch_ratio: compared > 0 ? round6(tobMismatched / compared) : 0,
    depth_mismatch_ratio: compared > 0 ? round6(depthMismatched / compared) : 0,
    compared_depth: runs[0]!.results.shadow!.compared_depth,
    tob_mismatched: tobMismatched,
    depth_mismatched: depthMismatched,
    tob_mismatch_ticks: tob.summary(),
    depth_mismatch_levels: depth.summary(),
    candidate_staleness_ms: staleness.summary(),
    worst: worst.slice(0, limit),
    worst_limit: limit,
  };
  return { shadow, histograms };
}
