// Many agents in many worktrees (issue 9): 8 fresh worktrees each get the same
// 100 corpus-shaped extensions, all 8 at once, and we compare with what the
// alternatives cost for the same files in the same run:
//   - `extension install` from a committed lockfile   vs cp -al (floor) and pnpm (peer)
//   - `extension pull <100 archive paths>`, warm store  vs cp -al
//   - the same pull against an empty store              vs tar -xzf of every archive into every worktree
// Every measurement of one run happens back to back, in an order rotated run
// by run, so that a noisy minute lands on all of them alike.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildExtensionArchive } from '../../helpers/archive-builder.mjs';
import { generateCorpus } from '../../helpers/sample-corpus.mjs';
import { freshRepo, storeEnv } from '../lib/cli-fixtures.mjs';
import { row, target } from '../lib/compare.mjs';
import { preparePnpmFleet, pnpmInstallCommand } from '../lib/pnpm-peer.mjs';
import { BIN, timeCli, timeConcurrent } from '../lib/process-timing.mjs';
import { summarize } from '../lib/stats.mjs';
import { freshDir, removeDir } from '../lib/workdir.mjs';

const WORKTREES = 8;
const EXTENSIONS = 100;
const LOCKFILE = 'extensions/models/upstream_extensions.json';

function sh(script) {
  return { file: '/bin/sh', args: ['-c', script] };
}

const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;

export default {
  name: 'fleet',
  description: `${WORKTREES} worktrees x ${EXTENSIONS} extensions, ${WORKTREES} at once: install from lockfile vs cp -al and pnpm; pull warm vs cp -al; pull cold vs tar -xzf`,
  defaultRuns: 3,
  heavy: true,
  async run({ runs, workDir, log, deadline }) {
    const dir = freshDir(workDir, 'fleet');
    try {
      const t0 = performance.now();
      const archiveDir = path.join(dir, 'archives');
      fs.mkdirSync(archiveDir);
      const specs = generateCorpus({ count: EXTENSIONS, seed: 1 });
      const archives = specs.map((spec, i) => {
        const file = path.join(archiveDir, `ext-${String(i).padStart(3, '0')}.tar.gz`);
        fs.writeFileSync(file, buildExtensionArchive(spec));
        return file;
      });
      // The warm store and the committed lockfile: one pull of everything, untimed.
      const store = path.join(dir, 'store');
      const prime = freshRepo(dir, 'prime');
      timeCli(['extension', 'pull', ...archives, '--json'], { cwd: prime, env: storeEnv(store) });
      const lockText = fs.readFileSync(path.join(prime, LOCKFILE), 'utf8');
      const files = Number(spawnSync('/bin/sh', ['-c', `find ${q(path.join(prime, '.swamp'))} -type f | wc -l`], { encoding: 'utf8' }).stdout.trim());
      const pnpm = await preparePnpmFleet({ dir: path.join(dir, 'pnpm'), specs, log });
      log?.(`  fleet: ${EXTENSIONS} archives, warm store (${files} files per worktree)${pnpm ? ', pnpm store' : ''} ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

      const worktrees = (run, label) => Array.from({ length: WORKTREES }, (_, i) => freshRepo(run, `${label}${i}-`));
      const withLockfile = (repo) => {
        fs.mkdirSync(path.join(repo, path.dirname(LOCKFILE)), { recursive: true });
        fs.writeFileSync(path.join(repo, LOCKFILE), lockText);
        return repo;
      };
      const cli = (repos, args, storeDir) =>
        timeConcurrent(repos.map((cwd) => ({ file: process.execPath, args: [BIN, ...args], cwd, env: storeEnv(storeDir) })));

      const measures = {
        install: async (run) => (await cli(worktrees(run, 'install').map(withLockfile), ['extension', 'install', '--json'], store)).ms,
        pullWarm: async (run) => (await cli(worktrees(run, 'pull'), ['extension', 'pull', ...archives, '--json'], store)).ms,
        pullCold: async (run) => (await cli(worktrees(run, 'cold'), ['extension', 'pull', ...archives, '--json'], path.join(run, 'empty-store'))).ms,
        cpal: async (run) => {
          const targets = Array.from({ length: WORKTREES }, (_, i) => path.join(run, `cpal-${i}`));
          return (await timeConcurrent(targets.map((t) => sh(`cp -al ${q(path.join(prime, '.swamp'))} ${q(t)}`)))).ms;
        },
        tar: async (run) => {
          const targets = Array.from({ length: WORKTREES }, (_, i) => path.join(run, `tar-${i}`));
          for (const t of targets) fs.mkdirSync(t);
          const list = archives.map(q).join(' ');
          // Each archive into its own folder, as Swamp unpacks each into a temporary folder of its own.
          return (await timeConcurrent(targets.map((t) => sh(`i=0; for a in ${list}; do i=$((i+1)); mkdir ${q(t)}/$i && tar -xzf "$a" -C ${q(t)}/$i || exit 1; done`)))).ms;
        },
        ...(pnpm
          ? {
              pnpm: async (run) => {
                const projects = pnpm.projects(path.basename(run), WORKTREES);
                try {
                  return (await timeConcurrent(projects.map((cwd) => ({ ...pnpmInstallCommand(pnpm), cwd })))).ms;
                } finally {
                  for (const p of projects) removeDir(p);
                }
              },
            }
          : {}),
      };
      const names = Object.keys(measures);
      const series = Object.fromEntries(names.map((n) => [n, []]));
      for (let i = -1; i < runs; i++) {
        if (i >= 1 && performance.now() > deadline) {
          log?.(`  fleet: time budget spent, stopping after ${i} runs`);
          break;
        }
        // Rotate the order each run; run -1 warms page caches and is not counted.
        const order = names.map((_, k) => names[(k + Math.max(i, 0)) % names.length]);
        const times = {};
        for (const n of order) {
          const run = freshDir(dir, `run-${n}`);
          try {
            times[n] = await measures[n](run);
          } finally {
            removeDir(run);
          }
        }
        if (i >= 0) for (const n of names) series[n].push(times[n]);
        log?.(`  fleet: run ${i + 1}/${runs}${i < 0 ? ' (warm-up)' : ''}: ${names.map((n) => `${n} ${(times[n] / 1000).toFixed(2)} s`).join(', ')}`);
      }
      const med = Object.fromEntries(names.map((n) => [n, summarize(series[n])]));
      const n = series.install.length;
      const mk = (name, ours, base, baselineName, t) =>
        row({ name, ours: med[ours].median, baselineName, baseline: med[base]?.median ?? NaN, target: t, runs: n, files: files * WORKTREES, detail: { ours: med[ours], baseline: med[base] ?? null } });
      return [
        mk(`fleet install ${WORKTREES}x${EXTENSIONS}`, 'install', 'cpal', `cp -al x${WORKTREES}`, target(2.0)),
        mk(`fleet install ${WORKTREES}x${EXTENSIONS}`, 'install', 'pnpm', pnpm ? `pnpm install x${WORKTREES}` : 'pnpm (unavailable)', target(0.5)),
        mk(`fleet pull ${WORKTREES}x${EXTENSIONS} warm`, 'pullWarm', 'cpal', `cp -al x${WORKTREES}`, target(2.5)),
        mk(`fleet pull ${WORKTREES}x${EXTENSIONS} empty store`, 'pullCold', 'tar', `tar -xzf all x${WORKTREES}`, target(1.0)),
      ];
    } finally {
      removeDir(dir);
    }
  },
};
