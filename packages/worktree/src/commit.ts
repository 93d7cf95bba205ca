import { mkdirSync, renameSync, rmSync, rmdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { FALLBACK_SKILLS_DIR } from '@swamp-store/primitives';
import { WorktreeError } from './errors.js';
import { readLockfile, serializeLockfile, writeLockfileAtomic } from './lockfile.js';
import { removeJournal, type Journal, type JournalChange } from './journal.js';
import { readMaterialized, writeMaterialized } from './materialized.js';
import type { RepoContext } from './repo.js';
import { RepoPaths } from './safe-path.js';
import { isAtOrUnderAny, isUnderAny } from './rel-path.js';

/**
 * Carries out a journal in the `commit` phase. Every step is idempotent, so
 * recovery after a crash at any point simply runs it again: a staged folder or
 * file that is gone was already moved, an orphan that is gone was already
 * deleted, and the lockfile entries are set to the journal's values whatever
 * they were. The per-file steps are synchronous calls in one tight loop: a
 * thread-pool round trip per file cost more than the syscalls themselves.
 */
export async function applyCommitted(repo: RepoContext, journal: Journal): Promise<void> {
  const paths = RepoPaths.openSync(repo.repoDir);
  const stagingAbs = paths.resolve(journal.staging);
  const moved = moveFolders(paths, stagingAbs, journal.changes.flatMap((c) => c.dirMoves ?? []));
  // A change's files lie under its own folders only: checked per change, not against every
  // folder of the transaction (100 extensions x 1,000 files x 200 folders was 23 ms).
  const movedOf = (change: JournalChange) => moved.filter((m) => change.dirMoves?.includes(m));
  for (const change of journal.changes) moveFiles(paths, stagingAbs, change.moves, movedOf(change));
  for (const change of journal.changes) {
    for (const orphan of change.orphans) {
      const abs = insideOrUndefined(paths, orphan);
      if (abs) rmSync(abs, { recursive: true, force: true });
    }
  }
  for (const change of journal.changes) {
    for (const dir of change.pruneFrom) pruneEmpty(paths, dir);
    // A folder moved whole was staged with every folder of its placement (stageFiles): those exist.
    const whole = change.dirsStaged ? movedOf(change) : [];
    for (const dir of change.dirs) if (!isAtOrUnderAny(dir, whole)) mkdirSync(paths.resolveCheckedSync(dir), { recursive: true });
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
  rmSync(stagingAbs, { recursive: true, force: true });
  await removeJournal(repo.repoDir);
}

/** Whole staged folders into destinations that do not exist: one rename each. Returns those moved (now or before a crash). */
function moveFolders(paths: RepoPaths, stagingAbs: string, dirs: string[]): string[] {
  const moved: string[] = [];
  for (const rel of dirs) {
    const dest = paths.resolveCheckedSync(rel);
    mkdirSync(path.dirname(dest), { recursive: true });
    try {
      renameSync(path.join(stagingAbs, rel), dest);
      moved.push(rel);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') moved.push(rel); // moved before a crash (or nothing was staged there)
      else if (code !== 'EEXIST' && code !== 'ENOTEMPTY' && code !== 'EISDIR' && code !== 'ENOTDIR') throw err;
      // The destination exists after all: its files move one by one below.
    }
  }
  return moved;
}

function moveFiles(paths: RepoPaths, stagingAbs: string, moves: string[], movedDirs: string[]): void {
  const made = new Set<string>();
  for (const target of moves) {
    if (isUnderAny(target, movedDirs)) continue;
    const dest = paths.resolveCheckedSync(target);
    const parent = path.dirname(dest);
    if (!made.has(parent)) {
      mkdirSync(parent, { recursive: true });
      made.add(parent);
    }
    const src = path.join(stagingAbs, target);
    try {
      renameSync(src, dest);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue; // moved before the crash
      if (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST') {
        rmSync(dest, { recursive: true, force: true });
        renameSync(src, dest);
      } else throw err;
    }
  }
}

/**
 * An orphan that now leads outside the repository (a folder on its way was
 * swapped for a symlink after planning) is left alone rather than thrown on:
 * a throw here would fail every later command's recovery and wedge the worktree.
 */
function insideOrUndefined(paths: RepoPaths, rel: string): string | undefined {
  try {
    return paths.resolveCheckedSync(rel);
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
function pruneEmpty(paths: RepoPaths, rel: string): void {
  for (let dir = rel; dir && dir !== '.' && !isBoundary(dir); dir = path.posix.dirname(dir)) {
    try {
      rmdirSync(paths.resolve(dir));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      return; // ENOTEMPTY and anything else: the folder stays
    }
  }
}
