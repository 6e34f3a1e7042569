import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import type { Command } from 'commander';
import { COMMANDS, buildFullProgram, buildProgram, commandNamed } from '../../src/cli/main.js';
import { ROOT, ensureBuilt } from '../helpers/cli.js';

const argv = (...a: string[]): string[] => ['node', 'mdcache', ...a];
const sub = (p: Command, name: string): Command => p.commands.find((c) => c.name() === name)!;

describe('the CLI imports commands lazily', () => {
  it('the COMMANDS table names every command the modules register, in order', async () => {
    const full = await buildFullProgram();
    expect(COMMANDS.map((c) => c.name)).toEqual(full.commands.map((c) => c.name()));
  });

  it('top-level help from the placeholders is exactly the help of the fully loaded program', async () => {
    const full = await buildFullProgram();
    const lazy = await buildProgram(argv('--help'));
    expect(lazy.helpInformation()).toBe(full.helpInformation());
    expect(lazy.helpInformation()).toContain('gate [options] <results>');
  });

  it.each(COMMANDS.map((c) => c.name))("'%s' loads the real command: its help is the full program's", async (name) => {
    const full = await buildFullProgram();
    for (const a of [argv(name, '--help'), argv('help', name), argv('--no-color', name)]) {
      const lazy = await buildProgram(a);
      expect(sub(lazy, name).helpInformation()).toBe(sub(full, name).helpInformation());
    }
  });

  it('finds the command after top-level options and after help', () => {
    expect(commandNamed(argv('--version'))).toBeUndefined();
    expect(commandNamed(argv('--no-color', 'bench', '--duration', '5m'))).toBe('bench');
    expect(commandNamed(argv('help', 'gate'))).toBe('gate');
    expect(commandNamed(argv())).toBeUndefined();
  });

  it('mdcache --version and --help load commander and no command module (built CLI, child process)', () => {
    ensureBuilt();
    const code = `
      import { register } from 'node:module';
      const { port1, port2 } = new MessageChannel();
      const urls = [];
      port1.on('message', (u) => urls.push(u));
      port1.unref();
      register('data:text/javascript,' + encodeURIComponent('let port; export function initialize(d) { port = d.port; } export async function load(url, ctx, next) { port.postMessage(url); return next(url, ctx); }'),
        { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] });
      const { main } = await import('./dist/cli/main.js');
      const seen = {};
      for (const flag of ['--version', '--help']) {
        const write = process.stdout.write;
        process.stdout.write = () => true;
        await main(['node', 'mdcache', flag]);
        process.stdout.write = write;
        await new Promise((r) => setTimeout(r, 20));
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
