#!/usr/bin/env node
// node test/bench/lib/profile-summary.mjs <file.cpuprofile> [--top N]
// Where the time went in a `node --cpu-prof` profile: self time per function and
// per source file (node_modules packages folded into one line each).
import fs from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
const file = positionals[0];
if (!file) {
  process.stderr.write('usage: profile-summary.mjs <file.cpuprofile> [--top N]\n');
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
