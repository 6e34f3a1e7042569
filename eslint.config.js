// Lint: typescript-eslint with type information (the promise rules need it). `npm run lint`, run in .ci/run.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'reports/**', 'node_modules/**', '.stryker-tmp/**', 'bench/**', 'bin/**', '**/*.js', '**/*.mjs'] },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'vitest.config.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // a promise nobody awaits or catches: an unhandled rejection waiting to happen
      '@typescript-eslint/no-floating-promises': 'error',
      // a promise where a void callback or a condition is expected (an async listener, `if (promise)`)
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  // source: a control character in a regex must be deliberate (tests match ANSI escapes freely)
  { files: ['src/**/*.ts'], rules: { 'no-control-regex': 'error' } },
);
