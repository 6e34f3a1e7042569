/**
 * JUnit XML: one testcase per gate. `fail` → <failure type="gate.fail">; `inconclusive` → <failure
 * type="gate.inconclusive"> too, so the CI's test view agrees with the exit code (1) instead of hiding
 * an undecided gate as "skipped". A `warn` gate that did not pass is <skipped message="warning …"/> (shown,
 * never a failure: it does not change the verdict). Pure.
 */
import type { Results } from '../results/types.js';
import type { GateEvaluation } from '../gates/types.js';
import { evaluationFor } from './model.js';
import { fmtInterval, fmtThreshold, fmtUnit, gateUnit, isWarning, scenarioName } from './format.js';

export function xmlEscape(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

export function renderJUnit(results: Results, evaluation?: GateEvaluation): string {
  const ev = evaluationFor(results, evaluation);
  const suite = `mdcache.gates.${scenarioName(results)}`;
  const failures = ev.gates.filter((g) => g.status !== 'pass' && !isWarning(g)).length;
  const skipped = ev.gates.filter(isWarning).length;
  const a = (s: string): string => xmlEscape(s);
  const lines: string[] = [];
  lines.push('<?xml version="1.0" encoding="UTF-8"?>');
  lines.push(`<testsuites name="mdcache gates" tests="${ev.gates.length}" failures="${failures}" errors="0" skipped="${skipped}" time="0">`);
  lines.push(`  <testsuite name="${a(suite)}" tests="${ev.gates.length}" failures="${failures}" errors="0" skipped="${skipped}" time="0" timestamp="${a(results.run.started_at)}" hostname="${a(results.run.host)}">`);
  lines.push('    <properties>');
  for (const [k, v] of [
    ['verdict', ev.verdict],
    ['scenario', scenarioName(results)],
    ['seed', String(results.seed)],
    ['run', results.run.id],
    ['command', results.run.command],
  ]) lines.push(`      <property name="${a(k!)}" value="${a(v!)}"/>`);
  lines.push('    </properties>');
  for (const g of ev.gates) {
    const u = gateUnit(g);
    const summary = `${g.metric} = ${fmtUnit(g.value, u)}, 95% interval ${fmtInterval(g.ci, u)}, threshold ${fmtThreshold(g)}: ${g.status}`;
    lines.push(`    <testcase classname="${a(suite)}" name="${a(g.name)}" time="0">`);
    if (isWarning(g)) {
      // A warn gate that did not pass: <skipped> with the message (visible, yellow in CI test views, never a failure).
      lines.push(`      <skipped message="${a(`warning (warn gate ${g.status}; does not change the verdict): ${summary}`)}"/>`);
    } else if (g.status !== 'pass') {
      const msg = g.status === 'fail' ? `gate failed: ${summary}` : `gate inconclusive (the interval straddles the threshold): ${summary}`;
      lines.push(`      <failure type="gate.${g.status}" message="${a(msg)}">${a(`${summary}${g.note ? `\n${g.note}` : ''}`)}</failure>`);
    }
    lines.push(`      <system-out>${a(`${summary}${g.note ? `\n${g.note}` : ''}`)}</system-out>`);
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>');
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}
