// One 10,000-file archive: per-entry costs that a 9-file extension hides show up here.
import path from 'node:path';
import { generateHugeExtension } from '../../helpers/sample-corpus.mjs';
import { compareWithTar, prepareArchive } from '../lib/ingest-vs-tar.mjs';

const FILES = 10_000;

export default {
  name: 'huge',
  description: `ingest + ensureTree vs tar -xzf: one ${FILES.toLocaleString('en')}-file archive`,
  defaultRuns: 5,
  heavy: true,
  async run({ runs, workDir, log, deadline }) {
    const archive = prepareArchive(path.join(workDir, 'huge-archive'), 'huge', generateHugeExtension(FILES));
    return [await compareWithTar({ name: 'huge 10k files', archives: [archive], runs, workDir, log, deadline })];
  },
};
