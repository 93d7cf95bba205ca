#!/usr/bin/env node
// pnpm bench [--only <scenario>[,<scenario>]] [--runs N] [--budget-s S] [--dir <scratch parent>] [--verbose]
// Runs each scenario of scenarios/index.mjs, prints one table, and writes
// test/bench/results/latest.json. Figures are medians over N runs, each on a fresh
// store, with GNU tar measured in the same runs as the yardstick. Without --runs,
// scenarios cut their default run counts (never below 3) to end within the budget.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { SCENARIOS } from './scenarios/index.mjs';
import { environment, writeResults } from './lib/results.mjs';
import { fmtBytes, fmtMs, fmtRatio, formatTable } from './lib/table.mjs';
import { gnuTarVersion, processSpawnMs } from './lib/timing.mjs';
import { makeWorkDir, removeDir } from './lib/workdir.mjs';
import { warmUp } from './lib/warm-up.mjs';

const { values } = parseArgs({
  options: {
    only: { type: 'string', multiple: true },
    runs: { type: 'string' },
    'budget-s': { type: 'string', default: '150' },
    dir: { type: 'string', default: os.tmpdir() },
    verbose: { type: 'boolean', short: 'v', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  process.stdout.write(
    'usage: node test/bench/main.mjs [--only <scenario>] [--runs N] [--budget-s S] [--dir <path>] [--verbose]\n\nscenarios:\n' +
      SCENARIOS.map((s) => `  ${s.name.padEnd(10)} ${s.description} (default ${s.defaultRuns} runs)\n`).join(''),
  );
  process.exit(0);
}

const wanted = (values.only ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
const unknown = wanted.filter((w) => !SCENARIOS.some((s) => s.name === w));
if (unknown.length) {
  process.stderr.write(`bench: unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}\n`);
  process.exit(2);
}
const runsOverride = values.runs === undefined ? undefined : Number(values.runs);
if (runsOverride !== undefined && !(Number.isInteger(runsOverride) && runsOverride >= 1)) {
  process.stderr.write(`bench: --runs must be a whole number >= 1, got '${values.runs}'\n`);
  process.exit(2);
}

const budgetS = Number(values['budget-s']);
if (!(budgetS > 0)) {
  process.stderr.write(`bench: --budget-s must be a positive number, got '${values['budget-s']}'\n`);
  process.exit(2);
}

const log = (line) => process.stderr.write(`${line}\n`);
const selected = wanted.length ? SCENARIOS.filter((s) => wanted.includes(s.name)) : SCENARIOS;
const tar = gnuTarVersion();
if (!tar) log('bench: GNU tar not found on PATH; the tar column stays empty');
const workDir = makeWorkDir(values.dir);
const started = Date.now();
const run = {
  startedAt: new Date(started).toISOString(),
  environment: { ...environment(), tar: tar ?? null, workDir, processSpawnMs: tar ? Math.round(processSpawnMs() * 10) / 10 : null },
  only: wanted.length ? wanted : null,
  scenarios: {},
};

try {
  log(`bench: ${selected.map((s) => s.name).join(', ')} in ${workDir} (load ${run.environment.loadavg.join(' ')})`);
  await warmUp(workDir);
  const rows = [];
  for (const [i, scenario] of selected.entries()) {
    const runs = runsOverride ?? scenario.defaultRuns;
    log(`bench: ${scenario.name}: ${scenario.description}, ${runs} runs`);
    const t0 = performance.now();
    // Each scenario may spend an equal share of what is left of the budget; an explicit --runs is obeyed as given.
    const left = budgetS * 1000 - (Date.now() - started);
    const deadline = runsOverride === undefined ? t0 + left / (selected.length - i) : Infinity;
    const scenarioRows = await scenario.run({ runs, workDir, log: values.verbose ? log : undefined, deadline });
    run.scenarios[scenario.name] = { description: scenario.description, runs, seconds: Math.round((performance.now() - t0) / 100) / 10, rows: scenarioRows };
    rows.push(...scenarioRows);
  }
  const table = formatTable(
    [
      { key: 'name', title: 'name', align: 'left' },
      { key: 'files', title: 'files' },
      { key: 'bytes', title: 'bytes', format: fmtBytes },
      { key: 'oursMs', title: 'ours ms', format: fmtMs },
      { key: 'tarMs', title: 'tar ms', format: fmtMs },
      { key: 'ratio', title: 'ratio', format: fmtRatio },
      { key: 'runs', title: 'runs' },
    ],
    rows,
  );
  process.stdout.write(`\n${table}\n\n`);
  process.stdout.write(
    `ours: ingest + ensureTree in-process, fresh store per run; tar: GNU tar -xzf into a fresh folder (includes ~${fmtMs(run.environment.processSpawnMs)} ms process start).\n` +
      `medians; node ${process.version}, ${run.environment.cpus} cpus, load ${run.environment.loadavg.join(' ')}; ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
  );
  run.seconds = Math.round((Date.now() - started) / 100) / 10;
  log(`bench: wrote ${writeResults(run)}`);
} finally {
  removeDir(workDir);
}
