#!/usr/bin/env node
// By hand: node test/stress/check.mjs --store DIR --worktree W [--worktree W2 ...] [--busy]
import { parseArgs } from 'node:util';
import { checkInvariants } from './invariants.mjs';

const { values } = parseArgs({ options: { store: { type: 'string' }, worktree: { type: 'string', multiple: true }, busy: { type: 'boolean' } } });
if (!values.store || !values.worktree?.length) {
  process.stderr.write('usage: node test/stress/check.mjs --store DIR --worktree W [--worktree W2 ...] [--busy]\n');
  process.exit(2);
}
const violations = await checkInvariants({ storeDir: values.store, worktrees: values.worktree, quiescent: !values.busy });
for (const v of violations) process.stdout.write(`VIOLATION ${v}\n`);
process.stdout.write(`${violations.length} violation(s)\n`);
process.exit(violations.length ? 1 : 0);
