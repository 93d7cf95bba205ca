import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '@swamp-store/primitives';
import type { LockEntry } from './lockfile.js';

/** swamp-store's own state inside a worktree: `.swamp/` is git-ignored and on the targets' filesystem. */
export const STATE_DIR = '.swamp/swamp-store';
/**
 * The files of STATE_DIR that outlive a transaction (materialized.ts, noop-check.ts); anything
 * else there but an empty `staging/` is a crashed transaction's leftover.
 */
export const KEPT_STATE_FILES: ReadonlySet<string> = new Set(['materialized.json', 'noop-check.json']);
export const JOURNAL_FILE = `${STATE_DIR}/journal.json`;
export const STAGING_DIR = `${STATE_DIR}/staging`;

/** What one extension's part of a transaction does; enough to finish it after a crash. */
export interface JournalChange {
  name: string;
  /** The lockfile entry after the transaction; null removes it; absent leaves the lockfile alone. */
  entry?: LockEntry | null;
  /** Repo-relative targets staged under the staging folder, to be renamed into place. */
  moves: string[];
  /**
   * Repo-relative folders (an extension's folder, a bundle namespace, a skill)
   * that did not exist when planned: each staged folder is renamed into place
   * whole, one rename for all its files. Files of `moves` under them are then
   * skipped; should the destination exist after all, they move one by one.
   * Absent in journals of older versions, which move every file.
   */
  dirMoves?: string[];
  /**
   * True when each folder of `dirs` inside a `dirMoves` folder was made in the staged
   * folder too, so a folder moved whole brings them all and commit makes none of them.
   * Absent in older journals, whose staged folders held only the folders of files.
   */
  dirsStaged?: boolean;
  /** Repo-relative paths to delete (old files the new version lacks, or everything on rm). */
  orphans: string[];
  /** Repo-relative folders that must exist (Swamp's seven per-extension dirs). */
  dirs: string[];
  /** Folders whose emptied parents may be pruned, up to the managed roots. */
  pruneFrom: string[];
}

/**
 * `staging`: files are being materialised in the staging folder; nothing in
 * the worktree has changed, so recovery rolls back. `commit`: everything is
 * staged and the journal says exactly what to do, so recovery rolls forward.
 */
export interface Journal {
  version: 1;
  txid: string;
  pid: number;
  host: string;
  startedAt: string;
  phase: 'staging' | 'commit';
  staging: string;
  changes: JournalChange[];
}

export function newJournal(changes: JournalChange[]): Journal {
  const txid = `${Date.now().toString(36)}-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  return {
    version: 1,
    txid,
    pid: process.pid,
    host: os.hostname(),
    startedAt: new Date().toISOString(),
    phase: 'staging',
    staging: `${STAGING_DIR}/${txid}`,
    changes,
  };
}

/**
 * Durable before the phase it announces begins: temp file, fsync, rename, fsync
 * the folder. The `staging` phase needs no fsync (`durable: false`): nothing in
 * the worktree changes during it, and recovery removes staged files whether or
 * not a journal points at them; only `commit` must survive a power loss.
 */
export async function writeJournal(repoDir: string, journal: Journal, durable = true): Promise<void> {
  const file = path.join(repoDir, JOURNAL_FILE);
  await fs.mkdir(path.dirname(file), { recursive: true });
  // One temp name per transaction, rewritten at each phase: a crash may have left it, so not exclusive.
  await writeFileAtomic(file, JSON.stringify(journal), { tmp: `${file}.${journal.txid}.tmp`, exclusive: false, durable });
}

export async function readJournal(repoDir: string): Promise<Journal | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path.join(repoDir, JOURNAL_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const j = JSON.parse(text) as Journal;
    if (j.version === 1 && typeof j.txid === 'string' && Array.isArray(j.changes)) return j;
  } catch {
    // A torn journal cannot exist (it is renamed into place); treat garbage as absent.
  }
  return undefined;
}

export async function removeJournal(repoDir: string): Promise<void> {
  await fs.rm(path.join(repoDir, JOURNAL_FILE), { force: true });
}
