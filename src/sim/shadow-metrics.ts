/** Prometheus metrics of a shadow run (beside the cache's mm_md_* metrics in the same registry). */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface ShadowMetrics {
  latency(path: 'control' | 'candidate', ms: number): void;
  divergence(tobTicks: number, depthMismatches: number, candidateAgeMs: number): void;
  simTime(ms: number): void;
}

export function shadowMetrics(registry: Registry): ShadowMetrics {
  const latency = new Histogram({
    name: 'mm_md_shadow_fetch_md_latency_ms',
    help: 'fetch_md latency per shadow path (control = uncached, candidate = cached)',
    labelNames: ['path'],
    buckets: [0.1, 0.5, 1, 2, 5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500],
    registers: [registry],
  });
  const tob = new Histogram({
    name: 'mm_md_shadow_tob_divergence_ticks',
    help: 'top-of-book difference (exchange ticks) between the candidate and the control book of a tick',
    buckets: [0, 1, 2, 3, 5, 10, 20, 50, 100],
    registers: [registry],
  });
  const compared = new Counter({ name: 'mm_md_shadow_compared_total', help: 'ticks compared between control and candidate', registers: [registry] });
  const tobMismatch = new Counter({ name: 'mm_md_shadow_tob_mismatch_total', help: 'compared ticks whose best bid/ask differed', registers: [registry] });
  const depthMismatch = new Counter({ name: 'mm_md_shadow_depth_mismatch_total', help: 'compared ticks with any depth-level difference', registers: [registry] });
  const age = new Histogram({
    name: 'mm_md_shadow_candidate_staleness_ms',
    help: 'age of the candidate (cached) book when used',
    buckets: [1, 5, 10, 25, 50, 100, 150, 200, 300, 500, 1000],
    registers: [registry],
  });
  const sim = new Gauge({ name: 'mm_md_shadow_run_time_seconds', help: 'time the shadow run has covered (simulated or real)', registers: [registry] });
  return {
    latency: (path, ms) => latency.observe({ path }, ms),
    divergence: (t, d, a) => {
      compared.inc();
      tob.observe(t);
      age.observe(a);
      if (t > 0) tobMismatch.inc();
      if (d > 0) depthMismatch.inc();
    },
    simTime: (ms) => sim.set(ms / 1000),
  };
}
