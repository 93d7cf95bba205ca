// Crash safety is not traded for speed: how many fsync/fdatasync calls each
// command makes (strace -f -c), reported next to the timings. Skipped, with a
// note, where strace is not installed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildExtensionArchive } from '../../helpers/archive-builder.mjs';
import { generateCorpus } from '../../helpers/sample-corpus.mjs';
import { freshRepo, medianArchive, storeEnv } from '../lib/cli-fixtures.mjs';
import { row } from '../lib/compare.mjs';
import { BIN, timeCli } from '../lib/process-timing.mjs';
import { freshDir, removeDir } from '../lib/workdir.mjs';

/** fsync-family calls of one CLI run, or undefined without strace. */
function countSyncs(args, { cwd, env }) {
  const out = path.join(cwd, '.strace');
  const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=fsync,fdatasync,sync_file_range,syncfs', '-o', out, process.execPath, BIN, ...args], { cwd, env, encoding: 'utf8' });
  if (r.error) return undefined;
  if (r.status !== 0) throw new Error(`bench: fsyncs: '${args.join(' ')}' exited ${r.status}: ${r.stderr.slice(0, 500)}`);
  const n = fs.readFileSync(out, 'utf8').split('\n').filter((l) => /\b(fsync|fdatasync|sync_file_range|syncfs)\(/.test(l)).length;
  fs.rmSync(out);
  return n;
}

export default {
  name: 'fsyncs',
  description: 'fsync calls per command (strace): warm pull, no-op pull, 100-ref pull, install of 100, rm',
  defaultRuns: 1,
  async run({ workDir, log }) {
    if (spawnSync('strace', ['-V']).error) {
      log?.('  fsyncs: strace not found; skipped');
      return [];
    }
    const dir = freshDir(workDir, 'fsyncs');
    try {
      const store = path.join(dir, 'store');
      const env = storeEnv(store);
      const median = medianArchive(dir);
      const archives = generateCorpus({ count: 100, seed: 1 }).map((spec, i) => {
        const file = path.join(dir, `ext-${i}.tar.gz`);
        fs.writeFileSync(file, buildExtensionArchive(spec));
        return file;
      });
      const prime = freshRepo(dir, 'prime');
      timeCli(['extension', 'pull', median.file, ...archives, '--json'], { cwd: prime, env });
      const rows = [];
      const add = (name, n) => rows.push(row({ name: `fsyncs: ${name}`, unit: 'count', ours: n, baselineName: '', baseline: NaN, runs: 1 }));
      const a = freshRepo(dir, 'a');
      add('warm pull (1 ext)', countSyncs(['extension', 'pull', median.file, '--json'], { cwd: a, env }));
      add('no-op pull', countSyncs(['extension', 'pull', median.file, '--json'], { cwd: a, env }));
      const b = freshRepo(dir, 'b');
      add('pull of 100 refs', countSyncs(['extension', 'pull', ...archives, '--json'], { cwd: b, env }));
      const c = freshRepo(dir, 'c');
      fs.mkdirSync(path.join(c, 'extensions/models'), { recursive: true });
      fs.copyFileSync(path.join(b, 'extensions/models/upstream_extensions.json'), path.join(c, 'extensions/models/upstream_extensions.json'));
      add('install of 100', countSyncs(['extension', 'install', '--json'], { cwd: c, env }));
      add('no-op install of 100', countSyncs(['extension', 'install', '--json'], { cwd: c, env }));
      add('rm (1 ext)', countSyncs(['extension', 'rm', '@corpus/ext-000', '-y', '--json'], { cwd: c, env }));
      const empty = freshRepo(dir, 'd');
      add('pull into empty store', countSyncs(['extension', 'pull', median.file, '--json'], { cwd: empty, env: storeEnv(path.join(dir, 'store2')) }));
      return rows;
    } finally {
      removeDir(dir);
    }
  },
};
