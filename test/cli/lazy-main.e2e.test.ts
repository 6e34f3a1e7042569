/** The built CLI loads commander and no command module for --version and --help (a child process). */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { ROOT, ensureBuilt } from '../helpers/cli.js';
import { LOAD_PROBE } from '../helpers/load-probe.js';

describe('the CLI imports commands lazily (built CLI)', () => {
  it('mdcache --version and --help load commander and no command module (built CLI, child process)', () => {
    ensureBuilt();
    const code = `
      ${LOAD_PROBE}
      const { main } = await import('./dist/cli/main.js');
      const seen = {};
      for (const flag of ['--version', '--help']) {
        const write = process.stdout.write;
        process.stdout.write = () => true;
        await main(['node', 'mdcache', flag]);
        process.stdout.write = write;
        await loadsArrived();
        seen[flag] = urls.filter((u) => u.includes('/dist/') || u.includes('node_modules')).map((u) => u.replace(/.*\\/(dist|node_modules)\\//, '$1/'));
      }
      console.log(JSON.stringify(seen));
    `;
    const seen = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8' })) as Record<string, string[]>;
    for (const flag of ['--version', '--help']) {
      expect(seen[flag]).toContain('dist/cli/main.js');
      expect(seen[flag]!.some((u) => u.startsWith('node_modules/commander/'))).toBe(true);
      expect(seen[flag]!.filter((u) => u.includes('/commands/') || (u.startsWith('node_modules/') && !u.startsWith('node_modules/commander/')))).toEqual([]);
    }
  });
});
