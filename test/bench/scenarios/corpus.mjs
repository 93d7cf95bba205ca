// Archives shaped like the public Swamp corpus (docs/swamp-compatibility.md): the median
// (9 files / 98 KB), p90 (20 / 440 KB) and largest (127 / 6.7 MB) extensions one
// at a time, then a whole generated corpus pulled into one store back to back.
import path from 'node:path';
import { generateCorpus } from '../../helpers/sample-corpus.mjs';
import { compareWithTar, prepareArchive } from '../lib/ingest-vs-tar.mjs';

const CORPUS_SIZE = 50;

export default {
  name: 'corpus',
  description: `ingest + ensureTree vs tar -xzf: corpus median, p90, max, and ${CORPUS_SIZE} corpus-shaped extensions`,
  defaultRuns: 7,
  heavy: true,
  async run({ runs, workDir, log, deadline }) {
    const dir = path.join(workDir, 'corpus-archives');
    // generateCorpus puts the median, p90 and max shapes first.
    const archives = generateCorpus({ count: CORPUS_SIZE, seed: 1 }).map((spec, i) => prepareArchive(dir, `ext-${i}`, spec));
    const [median, p90, max] = archives;
    const rows = [];
    for (const [name, list] of [
      ['corpus median', [median]],
      ['corpus p90', [p90]],
      ['corpus max', [max]],
      [`corpus all ${CORPUS_SIZE}`, archives],
    ]) {
      rows.push(await compareWithTar({ name, archives: list, runs, workDir, log, deadline }));
    }
    return rows;
  },
};
