// The tests StrykerJS runs against each mutant of src/cache and src/gates/evaluate.ts (`npm run mutate`):
// the in-process unit and property tests of those modules (no child processes, no sockets).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/cache/**/*.test.ts', 'test/gates/evaluate.test.ts', 'test/market/cache-integration.test.ts', 'test/market/invalidator.test.ts'],
    testTimeout: 60_000,
  },
});
