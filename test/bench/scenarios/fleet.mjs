// Many agents in many worktrees: 8 worktrees each pull the same 100 corpus-shaped
// extensions by name from a local registry, 8 processes at once. Ours shares one
// store and hardlinks; the baseline is what Swamp does today, modelled with our
// own CLI: a separate store per worktree and --link-mode copy, so every worktree
// downloads, verifies and unpacks every archive itself.
// Also reports the disk that our run leaves: physical bytes (each inode once)
// over store + worktrees, against one worktree's logical bytes.
import fs from 'node:fs';
import path from 'node:path';
import { startRegistryServer } from '@swamp-store/registry';
import { buildExtensionArchive } from '../../helpers/archive-builder.mjs';
import { generateCorpus } from '../../helpers/sample-corpus.mjs';
import { freshRepo, storeEnv } from '../lib/cli-fixtures.mjs';
import { interleave, row, target, timedRow } from '../lib/compare.mjs';
import { DiskUsage, skipRepoMarkers, storeCategory, worktreeLogicalBytes } from '../lib/disk-usage.mjs';
import { BIN, timeCli, timeConcurrent } from '../lib/process-timing.mjs';
import { freshDir, removeDir } from '../lib/workdir.mjs';

const WORKTREES = 8;
const EXTENSIONS = 100;
// One pull of 100 refs runs its 100 worktree transactions concurrently, and they
// contend for the worktree's lockfile lock inside the one process: with the
// default 60 s lock timeout some of them give up (exit 75) on a loaded machine.
// A longer timeout lets the run finish so that its time can be reported at all.
const LOCK_TIMEOUT_MS = '900000';

/** Every worktree's pull must have installed every extension: a fast failure is no result. */
function expectAll(results, names, what) {
  for (const [i, r] of results.entries()) {
    const got = new Set(JSON.parse(r.stdout).extensions.map((e) => e.name));
    const missing = names.filter((n) => !got.has(n));
    if (missing.length) throw new Error(`bench: ${what}: worktree ${i} lacks ${missing.length} extensions (${missing.slice(0, 3).join(', ')}...)`);
  }
}

/** One fleet run: fresh worktrees (and stores), all pulls started at once. Returns { ms, store(s), repos }. */
async function fleetOnce({ dir, url, names, shared }) {
  const run = freshDir(dir, shared ? 'ours' : 'copy');
  const repos = Array.from({ length: WORKTREES }, (_, i) => freshRepo(run, `wt${i}-`));
  const stores = shared ? [path.join(run, 'store')] : repos.map((_, i) => path.join(run, `store-${i}`));
  const extra = shared ? [] : ['--link-mode', 'copy'];
  const { ms, results } = await timeConcurrent(
    repos.map((repo, i) => ({
      file: process.execPath,
      args: [BIN, 'extension', 'pull', '--registry', url, ...extra, '--json', ...names],
      cwd: repo,
      env: { ...storeEnv(stores[shared ? 0 : i]), SWAMP_STORE_LOCK_TIMEOUT_MS: LOCK_TIMEOUT_MS },
    })),
  );
  expectAll(results, names, shared ? 'fleet (ours)' : 'fleet (copy per worktree)');
  return { ms, run, repos, stores };
}

/** Disk left by our run, counted two ways: `cache ls --json` and an lstat walk split by category. */
function diskReport({ repos, stores }) {
  const store = stores[0];
  const ls = timeCli(['cache', 'ls', '--json'], { env: storeEnv(store) }).json;
  const usage = new DiskUsage().add(store, storeCategory);
  for (const repo of repos) usage.add(repo, () => 'worktrees (copies, lockfiles, state)', skipRepoMarkers);
  const one = worktreeLogicalBytes(repos[0]);
  return {
    oneWorktreeLogicalBytes: one.bytes,
    oneWorktreeFiles: one.files,
    cacheLs: { physicalBytes: ls.physicalBytes, logicalBytes: ls.logicalBytes, trees: ls.trees.length, archives: ls.archives.length },
    walk: { physicalBytes: usage.physicalTotal, allocatedBytes: usage.allocatedTotal, logicalBytes: usage.logical, byCategory: usage.physical, allocatedByCategory: usage.allocated },
  };
}

export default {
  name: 'fleet',
  description: `${WORKTREES} worktrees x ${EXTENSIONS} extensions from a local registry, ${WORKTREES} concurrent pulls: shared store + hardlinks vs copy + store per worktree`,
  // One run of each side takes minutes today (see LOCK_TIMEOUT_MS); --runs 3 for a median.
  defaultRuns: 1,
  heavy: true,
  async run({ runs, workDir, log, deadline }) {
    const dir = freshDir(workDir, 'fleet');
    const registryDir = path.join(dir, 'registry');
    fs.mkdirSync(registryDir);
    const t0 = performance.now();
    const specs = generateCorpus({ count: EXTENSIONS, seed: 1 });
    specs.forEach((spec, i) => fs.writeFileSync(path.join(registryDir, `ext-${i}.tar.gz`), buildExtensionArchive(spec)));
    const names = specs.map((s) => s.name);
    const server = await startRegistryServer({ dir: registryDir });
    const phase = (what, since) => log?.(`  fleet: ${what} in ${((performance.now() - since) / 1000).toFixed(1)} s`);
    phase(`${EXTENSIONS} archives built and served at ${server.url}`, t0);
    let disk;
    try {
      const result = await interleave({
        name: 'fleet',
        runs,
        deadline,
        log,
        // Each run pulls 800 extensions: page-cache warm-up is already inside the first run's noise.
        warmUp: false,
        ours: async () => {
          const r = await fleetOnce({ dir, url: server.url, names, shared: true });
          let t = performance.now();
          disk ??= diskReport(r);
          phase('disk counted', t);
          t = performance.now();
          removeDir(r.run);
          phase('our run removed', t);
          return r.ms;
        },
        baseline: async () => {
          const r = await fleetOnce({ dir, url: server.url, names, shared: false });
          const t = performance.now();
          removeDir(r.run);
          phase('baseline run removed', t);
          return r.ms;
        },
      });
      const bytes = specs.reduce((n, s) => n + Object.values(s.files).reduce((m, c) => m + Buffer.byteLength(c), 0), 0);
      const archivesGz = disk.walk.byCategory['store archives (gz)'] ?? 0;
      return [
        timedRow({
          name: `fleet ${WORKTREES}x${EXTENSIONS}`,
          result,
          baselineName: 'copy, store per worktree',
          target: target(Math.round((1 / 3) * 1000) / 1000, '>= 3x faster'),
          files: specs.reduce((n, s) => n + Object.keys(s.files).length + 1, 0),
          bytes,
        }),
        row({
          name: 'fleet physical bytes',
          unit: 'bytes',
          ours: disk.walk.physicalBytes,
          baselineName: '1 worktree logical',
          baseline: disk.oneWorktreeLogicalBytes,
          target: target(1.2),
          runs: 1,
          detail: disk,
        }),
        // The same without the compressed archives the store keeps (for re-extraction and verify): what linking alone costs.
        row({
          name: 'fleet physical w/o archives',
          unit: 'bytes',
          ours: disk.walk.physicalBytes - archivesGz,
          baselineName: '1 worktree logical',
          baseline: disk.oneWorktreeLogicalBytes,
          runs: 1,
        }),
      ];
    } finally {
      await server.close();
      removeDir(dir);
    }
  },
};
