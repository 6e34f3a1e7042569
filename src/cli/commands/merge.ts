/**
 * `mdcache merge DIR… --out DIR [--force]`: merges runs from several processes or hosts into one results.json,
 * .hlog set and report (src/sim/merge.ts): histograms added exactly from the .hlog files, counters summed,
 * windows aligned by their start, gates re-evaluated on the merged figures. Exit 0 merged (and the gates pass),
 * 1 a gate does not pass, 2 bad input or runs that must not be merged.
 */
import type { Command } from 'commander';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { realpathSync } from 'node:fs';
import { wallClockIso } from '../../core/clock.js';
import { UsageError } from '../../core/errors.js';
import { ensureOutputDir } from '../../io/atomic.js';
import { loadGatesFile } from '../../gates/spec.js';
import { armNames } from '../../results/types.js';
import { loadRun, mergeRuns } from '../../sim/merge.js';
import { exitOnVerdict, writeRunOutput } from '../run-output.js';
import { VERSION } from '../version.js';

interface MergeFlags {
  out: string;
  force?: boolean;
  gate: boolean;
  gates?: string;
  json?: boolean;
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .argument('<dirs...>', 'run folders (each holding results.json and its .hlog files) to merge')
    .requiredOption('--out <dir>', 'output folder for the merged results.json, .hlog files and report.md')
    .option('--force', 'merge runs whose scenario, clock, mdcache version or seed say they should not be (never runs with different windows)')
    .option('--gates <file>', "YAML file with a gates: list (default: the runs' scenario gates, else the defaults, when the runs were gated)")
    .option('--no-gate', 'do not evaluate gates on the merged results')
    .option('--json', 'print the merged results JSON to stdout (the summary goes to stderr)')
    .description('merge runs from several processes or hosts into one results.json + report: histograms added exactly, counters summed, windows aligned; exit 2 on runs of different scenarios unless --force')
    .addHelpText('after', '\nExamples:\n  $ mdcache merge reports/p0 reports/p1 reports/p2 --out reports/fleet\n  $ mdcache merge host-a/run host-b/run --out merged --gates ci/gates.yaml')
    .action((dirs: string[], f: MergeFlags) => {
      const out = real(f.out);
      for (const d of dirs) if (real(d) === out) throw new UsageError(`merge: --out ${f.out} is one of the runs being merged; choose another folder`);
      const runs = dirs.map((d) => loadRun(d));
      const gates = !f.gate ? null : f.gates ? loadGatesFile(f.gates, armNames(runs[0]!.results)) : undefined;
      const id = `${wallClockIso().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')}-merge-${runs.length}`;
      const command = ['mdcache merge', ...dirs, `--out ${f.out}`, ...(f.force ? ['--force'] : []), ...(f.gates ? [`--gates ${f.gates}`] : []), ...(f.gate ? [] : ['--no-gate'])].join(' ');
      const merged = mergeRuns(runs, { force: f.force, gates, run: { id, command, version: VERSION, host: hostname() } });
      for (const n of merged.notices) process.stderr.write(`mdcache merge: note: ${n}\n`);
      ensureOutputDir(f.out);
      writeRunOutput(merged.results, merged.hlogs, { outDir: f.out, json: f.json, command: `mdcache merge (${runs.length} runs)` });
      exitOnVerdict(merged.results);
    });
}
