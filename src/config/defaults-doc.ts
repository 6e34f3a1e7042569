/** Renders the default md_cache config as commented YAML. */
import { MD_CACHE_DEFAULTS, MD_CACHE_DOCS, SHARED_DEFAULTS, SHARED_DOCS } from './md-cache.js';

export function renderDefaultConfig(): string {
  const lines = ['# mdcache default configuration (every key optional; ranges in brackets)', 'md_cache:'];
  for (const [key, value] of Object.entries(MD_CACHE_DEFAULTS)) {
    if (key === 'retry') {
      lines.push('  retry:');
      for (const [k, v] of Object.entries(value as object)) lines.push(pad(`    ${k}: ${v}`) + `# ${MD_CACHE_DOCS[`retry.${k}`]}`);
      continue;
    }
    lines.push(pad(`  ${key}: ${value}`) + `# ${MD_CACHE_DOCS[key]}`);
    if (key === 'ttl_ms') lines.push(pad(`  # refresh_ahead_ms: ${0.8 * Number(value)}`) + `# ${MD_CACHE_DOCS.refresh_ahead_ms}`);
  }
  lines.push('  # shared:                         # off by default; a Redis shared by a fleet of processes (L2)');
  for (const [k, v] of Object.entries(SHARED_DEFAULTS)) lines.push(pad(`  #   ${k}: ${JSON.stringify(v)}`) + `# ${SHARED_DOCS[k]}`);
  return lines.join('\n') + '\n';
}

function pad(s: string): string {
  return s.padEnd(34) + (s.length >= 34 ? ' ' : '');
}
