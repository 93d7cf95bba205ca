#!/usr/bin/env node
// node test/bench/profile-cli.mjs [--case warm|noop|cold|version] [--top 25] [--dir <scratch parent>] [--keep]
// One CLI process of a bench scenario under `node --cpu-prof`: prepares the
// store and worktree as the scenario does, runs the measured command once
// unprofiled (page cache) and once profiled, and prints where the time went:
// phases (module loading / work / idle / GC), files and functions. The
// .cpuprofile lands in test/bench/results/ (open it in Chrome DevTools).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { freshRepo, medianArchive, storeEnv } from './lib/cli-fixtures.mjs';
import { BIN, timeCli, timeProcess } from './lib/process-timing.mjs';
import { RESULTS_DIR } from './lib/results.mjs';
import { freshDir, makeWorkDir, removeDir } from './lib/workdir.mjs';

const { values } = parseArgs({
  options: {
    case: { type: 'string', default: 'warm' },
    top: { type: 'string', default: '25' },
    dir: { type: 'string', default: os.tmpdir() },
    keep: { type: 'boolean', default: false },
  },
});

const workDir = makeWorkDir(values.dir);
try {
  const archive = medianArchive(workDir);
  const store = path.join(workDir, 'store');
  const env = storeEnv(store);
  const pullArgs = ['extension', 'pull', archive.file, '--json'];
  // Each case: prepare(), then the command, run in a fresh place per call.
  const cases = {
    warm: { prepare: () => timeCli(pullArgs, { cwd: freshRepo(workDir, 'prime'), env }), args: pullArgs, cwd: () => freshRepo(workDir) },
    noop: (() => {
      let repo;
      return { prepare: () => timeCli(pullArgs, { cwd: (repo = freshRepo(workDir, 'noop')), env }), args: pullArgs, cwd: () => repo };
    })(),
    cold: { prepare: () => undefined, args: pullArgs, cwd: () => freshRepo(workDir), env: () => storeEnv(freshDir(workDir, 'store')) },
    version: { prepare: () => undefined, args: ['--version'], cwd: () => workDir },
  };
  const c = cases[values.case];
  if (!c) throw new Error(`unknown --case ${values.case}; one of ${Object.keys(cases).join(', ')}`);
  c.prepare();
  const unprofiled = timeProcess(process.execPath, [BIN, ...c.args], { cwd: c.cwd(), env: c.env?.() ?? env }).ms;
  const profDir = freshDir(workDir, 'prof');
  const profiled = timeProcess(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=100', BIN, ...c.args], {
    cwd: c.cwd(),
    env: c.env?.() ?? env,
  }).ms;
  const [file] = fs.readdirSync(profDir);
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const out = path.join(RESULTS_DIR, `cli-${values.case}.cpuprofile`);
  fs.copyFileSync(path.join(profDir, file), out);
  process.stdout.write(`${values.case}: ${unprofiled.toFixed(0)} ms unprofiled, ${profiled.toFixed(0)} ms profiled; load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}\nprofile: ${out}\n`);
  process.stdout.write(execFileSync(process.execPath, [new URL('./lib/profile-summary.mjs', import.meta.url).pathname, out, '--top', values.top, '--phases'], { encoding: 'utf8' }));
} finally {
  if (values.keep) process.stderr.write(`kept ${workDir}\n`);
  else removeDir(workDir);
}
