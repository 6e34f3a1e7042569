/**
 * Arms: several cached paths on one workload. An arm is a name and `md_cache` overrides applied on top of
 * the scenario's `md_cache` block (before validation, so cross-field rules see the merged block). Read from
 * a scenario's `arms:` list or built from `bench --policies a,b,c` (one arm per policy, named after it).
 */
import { ConfigError } from '../core/errors.js';
import { readMdCache } from '../config/md-cache.js';
import { Reader, isObj, join, show, type Obj } from '../config/reader.js';
import type { ArmSpec } from './simulate.js';

/** Names an arm may not take: the path names and the first segment of other gate metrics. */
export const RESERVED_ARM_NAMES = ['uncached', 'cached', 'shadow', 'fleet', 'arms'] as const;
export const ARM_NAME_RE = /^[A-Za-z][A-Za-z0-9_-]{0,39}$/;

/** Deep-merges `over` onto `base` (plain objects merge key by key; anything else replaces). */
export function mergeRaw(base: unknown, over: Obj): Obj {
  const out: Obj = isObj(base) ? { ...base } : {};
  for (const [k, v] of Object.entries(over)) out[k] = isObj(v) && isObj(out[k]) ? mergeRaw(out[k], v) : v;
  return out;
}

/** The scenario's raw md_cache block with `enabled: true` filled in (the cached path exists to cache). */
export function cachedPathRaw(raw: unknown): unknown {
  if (raw === undefined || raw === null) return { enabled: true };
  return isObj(raw) && raw.enabled === undefined ? { ...raw, enabled: true } : raw;
}

function checkName(r: Reader, name: unknown, path: string, seen: Set<string>): string | undefined {
  if (typeof name !== 'string' || !ARM_NAME_RE.test(name)) {
    r.add(path, `${show(name)} is not an arm name; use letters, digits, _ or - (starting with a letter, at most 40)`);
    return undefined;
  }
  if ((RESERVED_ARM_NAMES as readonly string[]).includes(name)) {
    r.add(path, `'${name}' is reserved; choose another arm name (not ${RESERVED_ARM_NAMES.join(', ')})`);
    return undefined;
  }
  if (seen.has(name)) {
    r.add(path, `'${name}' is used by another arm; arm names must be unique`);
    return undefined;
  }
  seen.add(name);
  return name;
}

/** Reads a scenario `arms:` list (absent → undefined), every problem recorded in `r`. */
export function readArms(r: Reader, raw: unknown, baseMdCache: unknown, path = 'arms'): ArmSpec[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  const list = r.list(raw, path);
  if (!list) return undefined;
  if (list.length === 0) {
    r.add(path, 'empty; list at least one arm { name, md_cache }, or remove the key');
    return undefined;
  }
  const seen = new Set<string>();
  const out: ArmSpec[] = [];
  list.forEach((item, i) => {
    const p = join(path, i);
    const o = r.object(item, p);
    if (!o) return;
    r.unknownKeys(o, p, ['name', 'md_cache']);
    const name = checkName(r, o.name, join(p, 'name'), seen);
    const over = o.md_cache === undefined ? {} : r.object(o.md_cache, join(p, 'md_cache'));
    if (!over) return;
    const mdCache = readMdCache(r, mergeRaw(cachedPathRaw(baseMdCache), over), join(p, 'md_cache'));
    if (name) out.push({ name, mdCache, overrides: over });
  });
  return out;
}

/**
 * Arms from `--policies ttl,refresh_ahead,...`: one arm per policy named after it, overriding
 * `md_cache.policy` on top of the scenario's block. Throws ConfigError listing every problem.
 */
export function armsFromPolicies(policies: readonly string[], baseMdCache: unknown): ArmSpec[] {
  const r = new Reader();
  if (policies.length === 0) r.add('--policies', 'empty; give at least one policy, e.g. --policies ttl,refresh_ahead,ws_book');
  const arms =
    policies.length === 0
      ? undefined
      : readArms(
          r,
          policies.map((p) => ({ name: p, md_cache: { policy: p } })),
          baseMdCache,
          '--policies',
        );
  if (!r.ok) throw new ConfigError(r.problems, '--policies');
  return arms ?? [];
}
