/** GitHub Actions job summary: append Markdown to the file named by $GITHUB_STEP_SUMMARY (IO). */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic.js';

/**
 * Appends `markdown` to $GITHUB_STEP_SUMMARY when it is set; returns the file written, or undefined when
 * the variable is unset or empty. The existing content is kept (read, then rewritten atomically).
 */
export function appendStepSummary(markdown: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = env.GITHUB_STEP_SUMMARY;
  if (!file) return undefined;
  let existing = '';
  try {
    existing = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const sep = existing && !existing.endsWith('\n') ? '\n' : '';
  writeFileAtomic(file, existing + sep + markdown + (markdown.endsWith('\n') ? '' : '\n'));
  return file;
}
