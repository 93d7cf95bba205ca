#!/usr/bin/env node
// node test/bench/profile-ensure.mjs [--files 10000] [--dir <scratch parent>] [--top 30]
// CPU profile of ensureTree alone (archive built and ingested beforehand, the
// profiler running only around the call), written to test/bench/results/ and
// summarised by self time. Use --dir /dev/shm to take the disk out of the picture.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Session } from 'node:inspector/promises';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { ensureTree, ingest, openStore } from '@swamp-store/store';
import { generateHugeExtension } from '../helpers/sample-corpus.mjs';
import { prepareArchive } from './lib/ingest-vs-tar.mjs';
import { RESULTS_DIR } from './lib/results.mjs';
import { makeWorkDir, removeDir } from './lib/workdir.mjs';

const { values } = parseArgs({
  options: { files: { type: 'string', default: '10000' }, dir: { type: 'string', default: os.tmpdir() }, top: { type: 'string', default: '30' } },
});
const workDir = makeWorkDir(values.dir);
try {
  const archive = prepareArchive(workDir, 'profiled', generateHugeExtension(Number(values.files)));
  const store = openStore({ root: path.join(workDir, 'store') });
  const info = await ingest(store, archive.file, { sourceKey: 'bench:profile' });
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const result = await ensureTree(store, info.sha256);
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const out = path.join(RESULTS_DIR, `ensure-tree-${archive.files}.cpuprofile`);
  fs.writeFileSync(out, JSON.stringify(profile));
  process.stdout.write(
    `ensureTree ${result.status}: ${archive.files} files, ${(archive.bytes / 1e6).toFixed(1)} MB in ${wall.toFixed(0)} ms wall; ` +
      `process cpu user ${(cpu.user / 1000).toFixed(0)} ms, system ${(cpu.system / 1000).toFixed(0)} ms (all threads)\nprofile: ${out}\n`,
  );
  process.stdout.write(execFileSync(process.execPath, [new URL('./lib/profile-summary.mjs', import.meta.url).pathname, out, '--top', values.top], { encoding: 'utf8' }));
} finally {
  removeDir(workDir);
}
