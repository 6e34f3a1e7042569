// The tests StrykerJS runs against each mutant of src/cache and src/gates/evaluate.ts (`npm run mutate`):
// in-process unit tests of those modules (no child processes, no sockets).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // the fast in-process tests of the cache and the evaluator (the 8 s integration run and the property tests,
    // which cover every line, would multiply the run time by every mutant they cover). MUTATE_TESTS=a,b
    // narrows a one-file run to the files that test it (README "Mutation score").
    include: process.env.MUTATE_TESTS
      ? process.env.MUTATE_TESTS.split(',')
      : [
          'test/cache/md-cache.test.ts',
          'test/cache/md-cache-edges.test.ts',
          'test/cache/defects.test.ts',
          'test/cache/policies.test.ts',
          'test/cache/ws-book.test.ts',
          'test/cache/lru-order.test.ts',
          'test/cache/retry-after.test.ts',
          'test/cache/loads-edges.test.ts',
          'test/cache/ws-edges.test.ts',
          'test/cache/stats-edges.test.ts',
          'test/cache/construct-edges.test.ts',
          'test/cache/abort-context.test.ts',
          'test/cache/coarse-clock.test.ts',
          'test/cache/shared/shared-tier.test.ts',
          'test/cache/shared/refresh-l2.test.ts',
          'test/cache/shared/tier-unit.test.ts',
          'test/cache/shared/sim-store.test.ts',
          'test/gates/evaluate.test.ts',
          'test/gates/evaluate-edges.test.ts',
          'test/gates/fleet-metrics.test.ts',
          'test/gates/severity.test.ts',
          'test/gates/spec.test.ts',
          'test/market/invalidator.test.ts',
        ],
    testTimeout: 60_000,
  },
});
