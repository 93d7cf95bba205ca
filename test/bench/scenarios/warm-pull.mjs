// A new worktree pulls an extension whose tree another worktree already put in
// the store: the everyday case for many agents in many worktrees.
import path from 'node:path';
import { expectPulled, freshRepo, medianArchive, storeEnv } from '../lib/cli-fixtures.mjs';
import { interleave, target, timedRow } from '../lib/compare.mjs';
import { timeCli, timeNodeNoop } from '../lib/process-timing.mjs';
import { freshDir, removeDir } from '../lib/workdir.mjs';

export default {
  name: 'warm-pull',
  description: 'pull of a median extension whose tree is in the store, into a fresh worktree, vs node -e 0',
  defaultRuns: 15,
  async run({ runs, workDir, log, deadline }) {
    const dir = freshDir(workDir, 'warm-pull');
    try {
      const archive = medianArchive(dir);
      const store = path.join(dir, 'store');
      const env = storeEnv(store);
      const pullInto = (repo) => timeCli(['extension', 'pull', archive.file, '--json'], { cwd: repo, env });
      expectPulled(pullInto(freshRepo(dir, 'prime')).json, { store: 'extracted', minLinked: 1 }, 'warm-pull setup');
      const result = await interleave({
        name: 'warm-pull',
        runs,
        deadline,
        log,
        ours: () => {
          const repo = freshRepo(dir);
          try {
            const r = pullInto(repo);
            expectPulled(r.json, { store: 'hit', minLinked: archive.files }, 'warm-pull');
            return r.ms;
          } finally {
            removeDir(repo);
          }
        },
        baseline: () => timeNodeNoop(),
      });
      return [timedRow({ name: 'warm-pull median', result, baselineName: 'node -e 0', target: target(1.6), files: archive.files, bytes: archive.bytes })];
    } finally {
      removeDir(dir);
    }
  },
};
