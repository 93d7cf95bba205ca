// What the CLI scenarios pull and where: archives on disk, fresh Swamp
// repositories, stores, and checks that a timed run did what its row claims.
import fs from 'node:fs';
import path from 'node:path';
import { makeRepo } from '../../helpers/cli.mjs';
import { generateExtension } from '../../helpers/sample-corpus.mjs';
import { prepareArchive } from './ingest-vs-tar.mjs';
import { cliEnv } from './process-timing.mjs';
import { freshDir } from './workdir.mjs';

/** The public corpus median: 9 files, 98 KB (docs/swamp-compatibility.md). */
export function medianArchive(dir) {
  return prepareArchive(dir, 'median', generateExtension({ name: '@bench/median', version: '2026.08.01.1' }));
}

/** A new, empty Swamp repository (`.swamp.yaml` + `.git`) under `parent`. */
export function freshRepo(parent, label = 'repo') {
  return makeRepo(freshDir(parent, label));
}

/** The environment of a CLI run against `store`. */
export function storeEnv(store) {
  return cliEnv({ SWAMP_STORE_DIR: store });
}

/** The unpacked tree of an archive in a store (layout v1, docs/ARCHITECTURE.md). */
export function storeTreeDir(store, sha256) {
  const dir = path.join(store, 'v1', 'trees', sha256);
  if (!fs.existsSync(dir)) throw new Error(`bench: no tree ${sha256} in ${store}`);
  return dir;
}

/** The one extension of a `pull --json` result, checked against what the scenario expects to have measured. */
export function expectPulled(json, { store, minLinked, maxLinked }, what) {
  const ext = json?.extensions?.[0];
  if (!ext) throw new Error(`bench: ${what}: no JSON result from pull`);
  const linked = (ext.linked?.hardlink ?? 0) + (ext.linked?.reflink ?? 0) + (ext.linked?.copy ?? 0);
  const problems = [];
  if (store && ext.store !== store) problems.push(`store ${ext.store}, expected ${store}`);
  if (minLinked !== undefined && linked < minLinked) problems.push(`${linked} files linked, expected at least ${minLinked}`);
  if (maxLinked !== undefined && linked > maxLinked) problems.push(`${linked} files linked, expected at most ${maxLinked}`);
  // A benchmark that silently measured the wrong path (a miss for a hit, a no-op for an install) would be worse than none.
  if (problems.length) throw new Error(`bench: ${what}: ${problems.join('; ')}`);
  return ext;
}
