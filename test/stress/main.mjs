#!/usr/bin/env node
// pnpm stress [--ops 2000] [--seed S] [--agents 8] [--worktrees 4] [--extensions 20] [--kill-rate 0.1] [--keep]
// Prints the seed first, so a failing run replays with --seed.
import { parseArgs } from 'node:util';
import { runWorkload } from './workload.mjs';

const { values } = parseArgs({
  options: {
    ops: { type: 'string', default: '2000' },
    seed: { type: 'string' },
    agents: { type: 'string', default: '8' },
    worktrees: { type: 'string', default: '4' },
    extensions: { type: 'string', default: '20' },
    'kill-rate': { type: 'string', default: '0.12' },
    keep: { type: 'boolean', default: false },
  },
});
const seed = values.seed ? Number(values.seed) : Math.floor(Math.random() * 1e9);
process.stderr.write(`stress: seed ${seed} (replay with --seed ${seed})\n`);
const report = await runWorkload({
  seed,
  ops: Number(values.ops),
  agents: Number(values.agents),
  worktrees: Number(values.worktrees),
  extensions: Number(values.extensions),
  killRate: Number(values['kill-rate']),
  keep: values.keep,
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`${JSON.stringify({ ...report, failures: report.failures.slice(0, 20), violations: report.violations.slice(0, 50) }, null, 2)}\n`);
const bad = report.failures.length + report.violations.length;
process.stderr.write(
  `stress: seed ${seed}: ${report.ops} ops (${Object.entries(report.byOp).map(([k, v]) => `${k} ${v}`).join(', ')}), ${report.gcRuns} gc runs, ${report.kills} kills, ${report.failures.length} failures, ${report.violations.length} violations, ${report.seconds} s\n`,
);
if (bad) process.stderr.write(`stress: FAILED; replay with: pnpm stress --ops ${values.ops} --seed ${seed}${report.dir ? ` (kept ${report.dir})` : ''}\n`);
process.exit(bad ? 1 : 0);
