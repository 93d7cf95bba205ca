// `extension install` in a worktree that already has everything in place:
// 400 extensions (about 4,000 files). Agents run it after every checkout to be
// sure; it must cost a few lstat calls per file, no lock and no write.
import fs from 'node:fs';
import path from 'node:path';
import { buildExtensionArchive } from '../../helpers/archive-builder.mjs';
import { generateExtension } from '../../helpers/sample-corpus.mjs';
import { freshRepo, storeEnv } from '../lib/cli-fixtures.mjs';
import { interleave, target, timedRow } from '../lib/compare.mjs';
import { timeCli, timeNodeNoop } from '../lib/process-timing.mjs';
import { freshDir, removeDir } from '../lib/workdir.mjs';

const EXTENSIONS = 400;

export default {
  name: 'noop-install',
  description: `extension install in a worktree with ${EXTENSIONS} extensions (4,000 files) already in place vs node -e 0`,
  defaultRuns: 15,
  async run({ runs, workDir, log, deadline }) {
    const dir = freshDir(workDir, 'noop-install');
    try {
      const archives = [];
      for (let i = 0; i < EXTENSIONS; i++) {
        const spec = generateExtension({ name: `@fleet/ext-${String(i).padStart(3, '0')}`, version: '2026.08.01.1', files: 10, bytes: 20_000 });
        const file = path.join(dir, `ext-${i}.tar.gz`);
        fs.writeFileSync(file, buildExtensionArchive(spec));
        archives.push(file);
      }
      const store = path.join(dir, 'store');
      const repo = freshRepo(dir);
      const env = storeEnv(store);
      const pulled = timeCli(['extension', 'pull', ...archives, '--json'], { cwd: repo, env }).json;
      const files = pulled.extensions.reduce((n, e) => n + e.files, 0);
      const lockfile = path.join(repo, 'extensions/models/upstream_extensions.json');
      const before = fs.readFileSync(lockfile);
      const result = await interleave({
        name: 'noop-install',
        runs,
        deadline,
        log,
        ours: () => {
          const r = timeCli(['extension', 'install', '--json'], { cwd: repo, env });
          const changed = r.json.extensions.filter((e) => e.linked.hardlink + e.linked.copy + e.linked.reflink > 0).length;
          if (r.json.extensions.length !== EXTENSIONS || changed > 0) throw new Error(`bench: noop-install changed ${changed} extensions`);
          return r.ms;
        },
        baseline: () => timeNodeNoop(),
      });
      if (!before.equals(fs.readFileSync(lockfile))) throw new Error('bench: noop-install rewrote the lockfile');
      return [timedRow({ name: `noop install ${EXTENSIONS} ext`, result, baselineName: 'node -e 0', target: target(3.0), files })];
    } finally {
      removeDir(dir);
    }
  },
};
