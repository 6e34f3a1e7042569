import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Results } from '../../src/results/types.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

export function fixture(name: 'pass' | 'fail' | 'inconclusive' | 'short'): Results {
  return JSON.parse(readFileSync(`${FIXTURES}results-${name}.json`, 'utf8')) as Results;
}
