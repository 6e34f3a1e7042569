import { defineConfig } from 'vitest/config';

/**
 * Two projects (README "Development"), selected by file name only:
 * - e2e: `*.e2e.test.ts` — tests that run the built CLI as a child process, open real sockets or run on the
 *   real clock;
 * - unit: every other `*.test.ts` — in-process tests on virtual time (test/core/test-naming.test.ts fails when
 *   a file that is not named `*.e2e.test.ts` imports a process, socket or exchange module).
 * `npm test` runs both; `npm run test:unit` / `npm run test:e2e` run one.
 */
const E2E = ['test/**/*.e2e.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: E2E } },
      { extends: true, test: { name: 'e2e', include: E2E } },
    ],
  },
});
