#!/usr/bin/env node
// The test suite once more on Node 24 (engines says >= 20.17, and Node 20 is past its end of
// life): called by `pnpm test` after the run on the Node that runs pnpm, so CI covers both.
// `npx -y node@24` provides Node 24 without installing it system-wide; the CLI processes the
// tests spawn (process.execPath) then run on Node 24 as well.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Left out of the Node 24 pass to keep CI well under 15 minutes: volume and
 * repetition (stress, crash and race trials, the demo, the remote-cache fleet),
 * which run the same Node APIs as the files that do run here, only many times
 * over. Everything else runs: every package's unit tests, every CLI end-to-end
 * file, the multi-process lock tests, the OCI client against a real registry.
 * They all run on the first pass; set SWAMP_STORE_NODE24_ALL=1 for all on both.
 */
const VOLUME = [
  'test/stress.test.ts',
  'test/gc-stress.test.ts',
  'test/worktree-crash.test.ts',
  'test/worktree-race.test.ts',
  'test/worktree-race-pairs.test.ts',
  'test/remote-cache.test.ts',
  'test/demo.test.ts',
  'packages/store/test/ensure-tree-crash.test.ts',
  'packages/store/test/ensure-tree-race.test.ts',
];
const major = Number(process.versions.node.split('.')[0]);
if (major >= 24) {
  console.error(`node24: the suite just ran on Node ${process.versions.node}; not running it twice.`);
  process.exit(0);
}
console.error('node24: running the test suite again on Node 24 (npx -y node@24)...');
const exclude = process.env.SWAMP_STORE_NODE24_ALL === '1' ? [] : VOLUME.flatMap((f) => ['--exclude', f]);
const r = spawnSync('npx', ['-y', 'node@24', 'node_modules/vitest/vitest.mjs', 'run', '--config', 'test/vitest.config.ts', ...exclude], { cwd: root, stdio: 'inherit' });
if (r.error) {
  console.error(`node24: could not start Node 24: ${r.error.message}`);
  process.exit(1);
}
process.exit(r.status ?? 1);
