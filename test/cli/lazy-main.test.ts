/** The lazy command table (in-process); the built CLI's module loading is checked in lazy-main.e2e.test.ts. */
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { COMMANDS, buildFullProgram, buildProgram, commandNamed } from '../../src/cli/main.js';

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
});
