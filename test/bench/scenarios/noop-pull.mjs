// Pulling what is already installed: the same archive into the same worktree
// again. What an agent pays when it re-runs `extension pull` to be sure.
import path from 'node:path';
import { expectPulled, freshRepo, medianArchive, storeEnv } from '../lib/cli-fixtures.mjs';
import { interleave, target, timedRow } from '../lib/compare.mjs';
import { timeCli, timeNodeNoop } from '../lib/process-timing.mjs';
import { freshDir, removeDir } from '../lib/workdir.mjs';

export default {
  name: 'noop-pull',
  description: 'pull of an installed median extension (same worktree, same archive) vs node -e 0',
  defaultRuns: 21,
  async run({ runs, workDir, log, deadline }) {
    const dir = freshDir(workDir, 'noop-pull');
    try {
      const archive = medianArchive(dir);
      const store = path.join(dir, 'store');
      const repo = freshRepo(dir);
      const env = storeEnv(store);
      const pull = () => timeCli(['extension', 'pull', archive.file, '--json'], { cwd: repo, env });
      expectPulled(pull().json, { store: 'extracted', minLinked: 1 }, 'noop-pull setup');
      const result = await interleave({
        name: 'noop-pull',
        runs,
        deadline,
        log,
        ours: () => {
          const r = pull();
          expectPulled(r.json, { store: 'hit', maxLinked: 0 }, 'noop-pull');
          return r.ms;
        },
        baseline: () => timeNodeNoop(),
      });
      return [timedRow({ name: 'noop-pull median', result, baselineName: 'node -e 0', target: target(1.4), files: archive.files, bytes: archive.bytes })];
    } finally {
      removeDir(dir);
    }
  },
};
