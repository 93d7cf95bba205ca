#!/usr/bin/env node
// node test/bench/lib/profile-summary.mjs <file.cpuprofile> [--top N] [--callers <function>] [--depth D] [--phases]
// Where the time went in a `node --cpu-prof` profile: self time per function and
// per source file (node_modules packages folded into one line each). --callers
// adds the call paths (D frames, default 4) that lead to a function's self time,
// e.g. `--callers mkdir` to see who makes all those folders. --phases splits the
// sampled time into module loading (ESM/CJS compile, link and top-level
// evaluation), idle (waiting for the fs thread pool, timers, children), GC and
// the command's own work: where a short CLI process spends its life.
import fs from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, callers: { type: 'string' }, depth: { type: 'string', default: '4' }, phases: { type: 'boolean', default: false } } });
const file = positionals[0];
if (!file) {
  process.stderr.write('usage: profile-summary.mjs <file.cpuprofile> [--top N] [--callers <function>] [--depth D] [--phases]\n');
  process.exit(2);
}
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
const deltas = profile.timeDeltas ?? [];
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (deltas[i] ?? 0)));
const totalUs = [...self.values()].reduce((a, b) => a + b, 0);

function where(url) {
  if (!url) return '(native/vm)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 14).split('/');
    return `npm:${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const m = url.match(/packages\/[^/]+\/dist\/.*$/) ?? url.match(/test\/.*$/);
  return m ? m[0] : url.replace(/^file:\/\//, '');
}

const fnTotals = new Map();
const fileTotals = new Map();
for (const [id, us] of self) {
  const n = byId.get(id);
  const cf = n.callFrame;
  const loc = where(cf.url);
  const key = `${cf.functionName || '(anonymous)'}  ${loc}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
  fnTotals.set(key, (fnTotals.get(key) ?? 0) + us);
  fileTotals.set(loc, (fileTotals.get(loc) ?? 0) + us);
}
const show = (title, m) => {
  process.stdout.write(`\n${title}\n`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) {
    process.stdout.write(`${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / totalUs).toFixed(1).padStart(5)}%  ${k}\n`);
  }
};
process.stdout.write(`total sampled: ${(totalUs / 1000).toFixed(0)} ms\n`);
show('self time by file / package', fileTotals);
show('self time by function', fnTotals);

if (values.callers) {
  const parentOf = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  const paths = new Map();
  for (const [id, us] of self) {
    if (byId.get(id).callFrame.functionName !== values.callers) continue;
    const frames = [];
    for (let p = parentOf.get(id); p !== undefined && frames.length < Number(values.depth); p = parentOf.get(p)) {
      const cf = byId.get(p).callFrame;
      if (cf.functionName === '(root)') break;
      frames.push(`${cf.functionName || '(anonymous)'}@${where(cf.url).split('/').pop()}:${cf.lineNumber + 1}`);
    }
    const key = frames.join(' < ') || '(top level)';
    paths.set(key, (paths.get(key) ?? 0) + us);
  }
  show(`callers of ${values.callers} (self time, innermost caller first)`, paths);
}

if (values.phases) {
  const parentOf = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  const LOADING = /internal\/modules\/(esm|cjs)|internal\/bootstrap\/realm/;
  const phaseOf = (id) => {
    const fn = byId.get(id).callFrame.functionName;
    if (fn === '(idle)') return 'idle (waiting: fs thread pool, timers, children)';
    if (fn === '(garbage collector)') return 'garbage collection';
    if (fn === '(program)') return '(program: native, unattributed)';
    for (let x = id; x !== undefined; x = parentOf.get(x)) {
      const cf = byId.get(x).callFrame;
      // A module's top-level code is an anonymous function at line 0; __require is esbuild's CommonJS wrapper.
      if (LOADING.test(cf.url) || cf.functionName.startsWith('__require') || (cf.functionName === '' && cf.lineNumber === 0 && cf.url)) return 'module loading';
    }
    return 'work';
  };
  const phases = new Map();
  for (const [id, us] of self) phases.set(phaseOf(id), (phases.get(phaseOf(id)) ?? 0) + us);
  show('phases', phases);
}
