#!/usr/bin/env node
// pnpm bench [--only <scenario>[,<scenario>]] [--all] [--runs N] [--budget-s S] [--dir <scratch parent>] [--verbose]
// Runs the scenarios of scenarios/index.mjs (DEFAULT unless --only or --all),
// prints one table and writes it to test/bench/results/latest.json and
// results/bench-<start time>.json. Figures are medians over N runs, ours and
// the baseline alternating run by run in the same process. Without --runs,
// scenarios cut their default run counts (never below 3, or 1 where one run
// takes tens of seconds) to end within the budget.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT, SCENARIOS } from './scenarios/index.mjs';
import { environment, writeDatedCopy, writeResults } from './lib/results.mjs';
import { formatResultTable } from './lib/result-table.mjs';
import { gnuTarVersion, processSpawnMs } from './lib/timing.mjs';
import { makeWorkDir, removeDir } from './lib/workdir.mjs';
import { warmUp } from './lib/warm-up.mjs';

const { values } = parseArgs({
  options: {
    only: { type: 'string', multiple: true },
    all: { type: 'boolean', default: false },
    runs: { type: 'string' },
    'budget-s': { type: 'string', default: '420' },
    dir: { type: 'string', default: os.tmpdir() },
    verbose: { type: 'boolean', short: 'v', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  process.stdout.write(
    'usage: node test/bench/main.mjs [--only <scenario>[,...]] [--all] [--runs N] [--budget-s S] [--dir <path>] [--verbose]\n\nscenarios (* = run by default):\n' +
      SCENARIOS.map((s) => `${DEFAULT.includes(s.name) ? '*' : ' '} ${s.name.padEnd(20)} ${s.description} (default ${s.defaultRuns} runs)\n`).join(''),
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
const selected = wanted.length ? SCENARIOS.filter((s) => wanted.includes(s.name)) : values.all ? SCENARIOS : SCENARIOS.filter((s) => DEFAULT.includes(s.name));
const tar = gnuTarVersion();
if (!tar) log('bench: GNU tar not found on PATH; tar baselines stay empty');
const workDir = makeWorkDir(values.dir);
// Ctrl-C skips `finally`: scratch stores and worktrees (hundreds of MB after a fleet run) would stay in /tmp.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    log(`bench: ${signal}, removing ${workDir}`);
    removeDir(workDir);
    process.exit(130);
  });
}
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
  // Light scenarios first: the budget is shared out as it goes, so a heavy one
  // that overruns (minRuns 1) must not squeeze the light ones below a useful median.
  const runOrder = [...selected.filter((s) => !s.heavy), ...selected.filter((s) => s.heavy)];
  const rowsOf = new Map();
  for (const [i, scenario] of runOrder.entries()) {
    const runs = runsOverride ?? scenario.defaultRuns;
    log(`bench: ${scenario.name}: ${scenario.description}, ${runs} runs`);
    const t0 = performance.now();
    // Each scenario may spend an equal share of what is left of the budget; an explicit --runs is obeyed as given.
    const left = budgetS * 1000 - (Date.now() - started);
    const deadline = runsOverride === undefined ? t0 + left / (runOrder.length - i) : Infinity;
    const scenarioRows = await scenario.run({ runs, workDir, log: values.verbose ? log : undefined, deadline });
    run.scenarios[scenario.name] = { description: scenario.description, runs, seconds: Math.round((performance.now() - t0) / 100) / 10, rows: scenarioRows };
    rowsOf.set(scenario.name, scenarioRows);
  }
  // The table keeps the order of scenarios/index.mjs, whatever order they ran in.
  const rows = selected.flatMap((s) => rowsOf.get(s.name));
  const loadAfter = environment().loadavg;
  run.environment.loadavgAfter = loadAfter;
  run.seconds = Math.round((Date.now() - started) / 100) / 10;
  run.table = rows.map(({ name, unit, ours, baselineName, baseline, ratio, target, met, runs }) => ({ name, unit, ours, baselineName, baseline, ratio, target, met, runs }));
  process.stdout.write(`\n${formatResultTable(rows)}\n\n`);
  process.stdout.write(
    'Medians of whole CLI processes (node bin/swamp-store.js ... --json, spawned and timed by this process), ours and baseline alternating run by run.\n' +
      (selected.some((s) => s.name === 'corpus' || s.name === 'huge') ? 'corpus/huge rows: ingest + ensureTree in this process, fresh store per run.\n' : '') +
      'ratio = ours / baseline. fleet rows: 8 fresh worktrees at once, wall time from first spawn to last exit; pnpm: node pnpm.cjs install --offline --frozen-lockfile --package-import-method=hardlink, warm store. fsyncs: strace -f count per command.\n' +
      `node ${process.version}, ${run.environment.cpus} cpus, load ${run.environment.loadavg.join(' ')} before, ${loadAfter.join(' ')} after; ${run.seconds.toFixed(0)} s\n`,
  );
  log(`bench: wrote ${writeResults(run)} and ${writeDatedCopy(run)}`);
} finally {
  removeDir(workDir);
}
