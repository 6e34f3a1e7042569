#!/usr/bin/env node
import('../dist/cli/main.js').then((m) => m.main(process.argv)).catch((err) => {
  process.stderr.write(`mdcache: could not start: ${err && err.stack ? err.stack : err}\n(run 'npm run build' if dist/ is missing)\n`);
  process.exit(70);
});
