// The first pull anywhere: archive on disk, empty store. Ours verifies, stores
// the archive, extracts once into the store and links; tar only extracts.
import { expectPulled, freshRepo, medianArchive, storeEnv } from '../lib/cli-fixtures.mjs';
import { interleave, timedRow } from '../lib/compare.mjs';
import { timeCli, timeProcess, cliEnv } from '../lib/process-timing.mjs';
import { freshDir, removeDir } from '../lib/workdir.mjs';

export default {
  name: 'cold-pull',
  description: 'pull of a median extension archive into an empty store and a fresh worktree vs tar -xzf into a fresh folder',
  defaultRuns: 11,
  async run({ runs, workDir, log, deadline }) {
    const dir = freshDir(workDir, 'cold-pull');
    try {
      const archive = medianArchive(dir);
      const result = await interleave({
        name: 'cold-pull',
        runs,
        deadline,
        log,
        ours: () => {
          const store = freshDir(dir, 'store');
          const repo = freshRepo(dir);
          try {
            const r = timeCli(['extension', 'pull', archive.file, '--json'], { cwd: repo, env: storeEnv(store) });
            expectPulled(r.json, { store: 'extracted', minLinked: archive.files }, 'cold-pull');
            return r.ms;
          } finally {
            removeDir(repo);
            removeDir(store);
          }
        },
        baseline: () => {
          const target = freshRepo(dir, 'tar');
          try {
            return timeProcess('tar', ['-xzf', archive.file, '-C', target], { env: cliEnv() }).ms;
          } finally {
            removeDir(target);
          }
        },
      });
      return [timedRow({ name: 'cold-pull median', result, baselineName: 'tar -xzf', files: archive.files, bytes: archive.bytes })];
    } finally {
      removeDir(dir);
    }
  },
};
