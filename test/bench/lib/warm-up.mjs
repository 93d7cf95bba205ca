// One unmeasured ingest + ensureTree + tar before the first scenario: module
// loading and JIT warm-up would otherwise land in whichever run comes first.
import path from 'node:path';
import { generateExtension } from '../../helpers/sample-corpus.mjs';
import { compareWithTar, prepareArchive } from './ingest-vs-tar.mjs';

export async function warmUp(workDir) {
  const archive = prepareArchive(path.join(workDir, 'warm-up'), 'warm-up', generateExtension({ name: '@bench/warm-up', version: '2026.08.01.1', files: 40 }));
  await compareWithTar({ name: 'warm-up', archives: [archive], runs: 2, workDir });
}
