import { defineConfig } from 'vitest/config';

/**
 * Two projects (README "Development"):
 * - unit: in-process tests on virtual time — no child processes, no sockets, no real clock;
 * - e2e: tests that run the built CLI as a child process (`*.e2e.test.ts`) or talk over real sockets on the
 *   real clock (test/net, test/exchange).
 * `npm test` runs both; `npm run test:unit` / `npm run test:e2e` run one.
 */
const E2E = [
  'test/**/*.e2e.test.ts',
  'test/net/**/*.test.ts',
  'test/exchange/**/*.test.ts',
  // Files that also start child processes or sockets (to be renamed *.e2e.test.ts by their owners):
  'test/fuzz/**/*.test.ts',
  'test/cli/lazy-main.test.ts',
  'test/ops/export.test.ts',
];

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
