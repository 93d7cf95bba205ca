import { joinSafe, mapFsError } from '@swamp-store/primitives';
import { mkdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { withLock } from '@swamp-store/lock';
import { registerRoot, reportProgress, type Store } from '@swamp-store/store';
import { applyCommitted } from './commit.js';
import { WorktreeError } from './errors.js';
import { STAGING_DIR, STATE_DIR, newJournal, readJournal, removeJournal, writeJournal, type Journal, type JournalChange } from './journal.js';
import { readLockfile, sweepLockfileTemps, type LockEntry } from './lockfile.js';
import type { LinkCounts, Linker } from './link.js';
import { deadEvictionTombs, lockfileLockPath } from './lock-leftovers.js';
import { readMaterialized, type Materialized } from './materialized.js';
import type { RepoContext } from './repo.js';
import { RepoPaths } from './safe-path.js';
import { isAtOrUnderAny, isUnderAny } from './rel-path.js';

/** A file to materialise: from the store tree into the staging folder, then renamed into place. */
export interface StagedFile {
  source: string;
  target: string;
  privateCopy: boolean;
  copyMode: number;
}

export interface PlannedChange {
  change: JournalChange;
  stage: StagedFile[];
  /** Filled in by staging: how this change's files got into the worktree. */
  linked?: LinkCounts;
  /** Adoption: files that differ from the tree, left as they are (see PlanInstallOptions.adopt). */
  kept?: string[];
  /** Nothing to change on disk; carried only to report `kept`. */
  noop?: boolean;
}

export interface TransactionContext {
  repo: RepoContext;
  /** Read fresh inside the lock: never a snapshot taken before it. */
  entries: Record<string, LockEntry>;
  /** Which tree's files are really on disk per extension (the lockfile may have been checked out since). */
  materialized: Materialized;
  paths: RepoPaths;
}

export { lockfileLockPath };

/** Finishes or undoes a transaction a crashed process left behind. Call only under the lockfile lock. */
export async function recoverInterrupted(repo: RepoContext): Promise<Journal | undefined> {
  const journal = await readJournal(repo.repoDir);
  if (!journal) {
    await sweepStaging(repo);
    await sweepTemps(repo);
    return undefined;
  }
  if (journal.phase === 'commit') {
    await applyCommitted(repo, journal);
  } else {
    const paths = await RepoPaths.open(repo.repoDir);
    await fs.rm(paths.resolve(journal.staging), { recursive: true, force: true });
    await removeJournal(repo.repoDir);
  }
  await sweepStaging(repo);
  await sweepTemps(repo);
  return journal;
}

/**
 * A kill between a temp file's creation and its rename leaves it behind: the
 * lockfile's temp sits next to the committed lockfile (where `git status`
 * shows it), the journal's and the materialized record's in our state folder.
 * Under the lockfile lock no live writer can own one, so every one found is a
 * dead transaction's. Likewise a dead waiter's lock-eviction tomb.
 */
async function sweepTemps(repo: RepoContext): Promise<void> {
  await sweepLockfileTemps(repo.lockfilePath);
  for (const tomb of await deadEvictionTombs(repo)) await fs.rm(tomb, { recursive: true, force: true });
  const stateDir = path.join(repo.repoDir, STATE_DIR);
  const names = await fs.readdir(stateDir).catch(() => [] as string[]);
  for (const n of names) if (/^(journal|materialized|noop-check)\.json\..+\.tmp$/.test(n)) await fs.rm(path.join(stateDir, n), { force: true });
}

/** Staging folders with no journal pointing at them belong to transactions that never reached the journal write. */
async function sweepStaging(repo: RepoContext): Promise<void> {
  await fs.rm(path.join(repo.repoDir, STAGING_DIR), { recursive: true, force: true });
}

/**
 * The worktree transaction of docs/ARCHITECTURE.md. `plan` runs under the lock with
 * the lockfile read fresh, so two agents in one worktree can never base their
 * changes on the same stale lockfile (the "lockfile says present, disk says
 * missing" race). Network and extraction happen before, never under, this lock.
 */
export async function runTransaction(
  repo: RepoContext,
  store: Store,
  linker: Linker,
  plan: (ctx: TransactionContext) => Promise<PlannedChange[]>,
): Promise<PlannedChange[]> {
  await fs.mkdir(path.dirname(repo.lockfilePath), { recursive: true });
  return withLock(lockfileLockPath(repo), async (lock) => {
    await recoverInterrupted(repo);
    const { entries } = await readLockfile(repo.lockfilePath);
    const paths = await RepoPaths.open(repo.repoDir);
    const materialized = await readMaterialized(repo.repoDir);
    const all = await plan({ repo, entries, paths, materialized });
    const planned = all.filter((p) => !p.noop);
    if (planned.length === 0) return all;
    assertPathsInside(paths, planned);
    const journal = newJournal(planned.map((p) => p.change));
    try {
      await writeJournal(repo.repoDir, journal, false);
      await stageFiles(paths, journal.staging, planned, linker);
      lock.assertHeld();
      journal.phase = 'commit';
      await writeJournal(repo.repoDir, journal);
    } catch (err) {
      // Nothing in the worktree has changed yet: roll back right away.
      await fs.rm(paths.resolve(journal.staging), { recursive: true, force: true }).catch(() => undefined);
      await removeJournal(repo.repoDir).catch(() => undefined);
      throw mapFsError(err, 'staging files in the worktree', WorktreeError);
    }
    lock.assertHeld();
    await applyCommitted(repo, journal);
    await registerRoot(store, { repoDir: repo.repoDir, lockfilePath: repo.lockfilePath });
    return all;
  });
}

/**
 * Orphans come from the lockfile, which is hostile input: a listed path may run
 * through a symlinked folder that leaves the repository. Refuse it now, while
 * nothing has changed; found only while applying a committed journal, the
 * refusal would repeat on every later command's recovery and wedge the worktree.
 */
function assertPathsInside(paths: RepoPaths, planned: PlannedChange[]): void {
  for (const p of planned) {
    const dirMoves = p.change.dirMoves ?? [];
    for (const rel of [...p.change.orphans, ...dirMoves]) paths.resolveCheckedSync(rel);
    // A file inside a folder that moves whole lands where the folder does: the folder's check covers it.
    for (const rel of p.change.moves) if (!isUnderAny(rel, dirMoves)) paths.resolveCheckedSync(rel);
  }
}

/** Yield to the event loop this often in long sync loops, so the lock's heartbeat timer keeps running. */
const YIELD_EVERY = 2000;

/**
 * Links (or copies) every planned file into the staging folder: each folder
 * made once, then one sync call per file. The staging folder is ours alone
 * (created under the lock, inside `.swamp/`), so no containment check per file.
 */
async function stageFiles(paths: RepoPaths, stagingRel: string, planned: PlannedChange[], linker: Linker): Promise<void> {
  const stagingAbs = paths.resolve(stagingRel);
  const made = new Set<string>([stagingAbs]);
  mkdirSync(stagingAbs, { recursive: true });
  const makeDir = (dir: string): void => {
    if (made.has(dir)) return;
    makeDir(path.dirname(dir));
    mkdirSync(dir);
    made.add(dir);
  };
  let n = 0;
  for (const plan of planned) {
    const before = { ...linker.counts };
    for (const [i, file] of plan.stage.entries()) {
      const dest = joinSafe(stagingAbs, file.target); // a placement target: proven safe
      makeDir(path.dirname(dest));
      linker.placeSync(file.source, dest, { privateCopy: file.privateCopy, copyMode: file.copyMode });
      reportProgress({ phase: 'link', label: plan.change.name, done: i + 1, total: plan.stage.length });
      if (++n % YIELD_EVERY === 0) await new Promise((r) => setImmediate(r));
    }
    // Empty folders of a folder that moves whole travel with it (JournalChange.dirsStaged).
    const whole = plan.change.dirsStaged ? (plan.change.dirMoves ?? []) : [];
    for (const dir of plan.change.dirs) {
      if (isAtOrUnderAny(dir, whole)) makeDir(joinSafe(stagingAbs, dir));
    }
    plan.linked = {
      hardlink: linker.counts.hardlink - before.hardlink,
      reflink: linker.counts.reflink - before.reflink,
      copy: linker.counts.copy - before.copy,
    };
  }
}
