import fs from 'node:fs/promises';
import path from 'node:path';
import { mapPool } from '@swamp-store/store';
import { FALLBACK_SKILLS_DIR } from '@swamp-store/primitives';
import { WorktreeError } from './errors.js';
import { readLockfile, serializeLockfile, writeLockfileAtomic } from './lockfile.js';
import { removeJournal, type Journal } from './journal.js';
import { readMaterialized, writeMaterialized } from './materialized.js';
import type { RepoContext } from './repo.js';
import { RepoPaths } from './safe-path.js';

/**
 * Carries out a journal in the `commit` phase. Every step is idempotent, so
 * recovery after a crash at any point simply runs it again: a staged file that
 * is gone was already moved, an orphan that is gone was already deleted, and the
 * lockfile entries are set to the journal's values whatever they were.
 */
export async function applyCommitted(repo: RepoContext, journal: Journal): Promise<void> {
  const paths = await RepoPaths.open(repo.repoDir);
  const stagingAbs = paths.resolve(journal.staging);
  // Folders first (each once), then the renames with a few in flight: one
  // sequential await per file made a 10,000-file install take seconds.
  const moves = journal.changes.flatMap((c) => c.moves);
  const dests = new Map<string, string>();
  for (const target of moves) dests.set(target, await paths.resolveChecked(target));
  const parents = [...new Set([...dests.values()].map((d) => path.dirname(d)))].sort();
  for (const dir of parents) await fs.mkdir(dir, { recursive: true });
  await mapPool(moves, 32, async (target) => {
    const dest = dests.get(target) as string;
    try {
      await fs.rename(path.join(stagingAbs, target), dest);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return; // moved before the crash
      if (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST') {
        await fs.rm(dest, { recursive: true, force: true });
        await fs.rename(path.join(stagingAbs, target), dest);
      } else throw err;
    }
  });
  for (const change of journal.changes) {
    for (const orphan of change.orphans) {
      const abs = await insideOrUndefined(paths, orphan);
      if (abs) await fs.rm(abs, { recursive: true, force: true });
    }
  }
  for (const change of journal.changes) {
    for (const dir of change.pruneFrom) await pruneEmpty(paths, dir);
    for (const dir of change.dirs) await fs.mkdir(await paths.resolveChecked(dir), { recursive: true });
  }
  const { entries, raw } = await readLockfile(repo.lockfilePath);
  for (const change of journal.changes) {
    if (change.entry) entries[change.name] = change.entry;
    else if (change.entry === null) delete entries[change.name];
    // undefined: the change only cleans files and leaves the lockfile entry as it is
  }
  // Unchanged entries are not rewritten: the lockfile is committed, and an mtime bump or a re-serialisation is churn.
  if (raw === undefined || serializeLockfile(entries) !== raw) {
    await fs.mkdir(path.dirname(repo.lockfilePath), { recursive: true });
    await writeLockfileAtomic(repo.lockfilePath, entries);
  }
  const materialized = await readMaterialized(repo.repoDir);
  for (const change of journal.changes) {
    if (change.entry?.checksum) materialized[change.name] = change.entry.checksum;
    else if (change.entry === null) delete materialized[change.name];
  }
  await writeMaterialized(repo.repoDir, materialized);
  await fs.rm(stagingAbs, { recursive: true, force: true });
  await removeJournal(repo.repoDir);
}

/**
 * An orphan that now leads outside the repository (a folder on its way was
 * swapped for a symlink after planning) is left alone rather than thrown on:
 * a throw here would fail every later command's recovery and wedge the worktree.
 */
async function insideOrUndefined(paths: RepoPaths, rel: string): Promise<string | undefined> {
  try {
    return await paths.resolveChecked(rel);
  } catch (err) {
    if (err instanceof WorktreeError && err.code === 'E_UNSAFE_LOCKFILE') return undefined;
    throw err;
  }
}

/** Folders pruning never removes, even when empty: the managed roots themselves. */
function isBoundary(rel: string): boolean {
  const segs = rel.split('/');
  if (segs[0] !== '.swamp') return segs.length <= 2; // a skills dir such as `.claude/skills`
  if (segs.length <= 2) return true; // `.swamp`, `.swamp/pulled-extensions`, `.swamp/bundles`, ...
  return rel === FALLBACK_SKILLS_DIR;
}

/** Removes `rel` and its parents while they are empty, stopping at a managed root. */
async function pruneEmpty(paths: RepoPaths, rel: string): Promise<void> {
  for (let dir = rel; dir && dir !== '.' && !isBoundary(dir); dir = path.posix.dirname(dir)) {
    try {
      await fs.rmdir(paths.resolve(dir));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      return; // ENOTEMPTY and anything else: the folder stays
    }
  }
}
