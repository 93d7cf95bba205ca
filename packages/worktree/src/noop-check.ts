import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, renameSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { joinSafe } from '@swamp-store/primitives';
import { fileRecordsByPath, treeManifestSignature, type CtimeCheck, type Store, type TreeFileRecord } from '@swamp-store/store';
import { STATE_DIR } from './journal.js';
import { foldersPresent, managedView, type KnownEntry, type ManagedView } from './managed-files.js';
import type { RepoContext } from './repo.js';
import { placedLinkIntact, storeDevice } from './store-inode.js';

/**
 * `.swamp/swamp-store/noop-check.json`: what a no-op `install` last found, so
 * that the next one need not read, parse and place every tree again (400
 * manifests and 4,000 placements were two thirds of a no-op install).
 *
 * It holds only what the slow check derived from its inputs, under a key over
 * all of them: the lockfile's and the materialized record's text, the skills
 * dirs, the repository and the store; and per tree the signature of its
 * `.tree.json` (inode, size, mtime: a repaired tree gets a new one). Any
 * change of an input makes the record useless, never wrong. The disk is still
 * looked at as by the slow check: one lstat per placed file and per folder not
 * seen by the walk for untracked files. Written by the fast path itself (temp +
 * rename, not fsynced: losing it costs one slow check), and only when it
 * changed; a stale one, or one torn by a crash, is ignored.
 */
export const NOOP_CHECK_FILE = `${STATE_DIR}/noop-check.json`;

const FORMAT = 1;

/**
 * One placed file: [target, tree index, tree path, ino, size, mtimeMs, mode, ctimeMs at publish
 * (-1: none), bundle (1) or not (0), ctimeMs the check saw (-1: none)].
 */
type FileRow = [string, number, string, number, number, number, number, number, 0 | 1, number];

export interface NoopRecord {
  v: typeof FORMAT;
  key: string;
  /** [sha256, .tree.json signature] per tree, by index. */
  trees: [string, string][];
  /** [name, tree index, version, placed file count] per lockfile entry, in lockfile order. */
  entries: [string, number, string, number][];
  files: FileRow[];
  /** Every folder the placements own. */
  dirs: string[];
  /** For the walk for untracked files: owned paths that are no placed file, folders owned whole, bundle folders. */
  ownedExtra: string[];
  ownedDirs: string[];
  bundleRoots: string[];
}

/** The key over every input of the slow check but the trees (those are signed one by one). */
export function noopKey(repo: RepoContext, store: Store, lockfileText: string, materializedText: string): string {
  return createHash('sha256')
    .update(JSON.stringify([FORMAT, repo.repoDir, repo.lockfilePath, repo.skillsDirs, store.layout.base, storeDevice(store), lockfileText, materializedText]))
    .digest('hex');
}

/** The record for `key`, or undefined (none, torn, another format or key). */
export function readNoopRecord(repo: RepoContext, key: string): NoopRecord | undefined {
  try {
    const doc = JSON.parse(readFileSync(joinSafe(repo.repoDir, NOOP_CHECK_FILE), 'utf8')) as NoopRecord;
    if (doc?.v !== FORMAT || doc.key !== key) return undefined;
    if (![doc.trees, doc.entries, doc.files, doc.dirs, doc.ownedExtra, doc.ownedDirs, doc.bundleRoots].every(Array.isArray)) return undefined;
    return doc;
  } catch {
    return undefined;
  }
}

/** Best effort: a worktree this user cannot write only keeps the slow check. */
export function writeNoopRecord(repo: RepoContext, store: Store, key: string, known: readonly KnownEntry[], seenCtimes: ReadonlyMap<string, number>): void {
  const trees: [string, string][] = [];
  const index = new Map<string, number>();
  const entries: NoopRecord['entries'] = [];
  const files: FileRow[] = [];
  const dirs = new Set<string>();
  for (const k of known) {
    if (!k.tree || !k.placement) return;
    const sig = treeManifestSignature(store.layout, k.tree.sha256);
    if (sig === undefined) return;
    let t = index.get(k.tree.sha256);
    if (t === undefined) {
      index.set(k.tree.sha256, (t = trees.length));
      trees.push([k.tree.sha256, sig]);
    }
    entries.push([k.name, t, k.tree.version, k.placement.entries.length]);
    const records = fileRecordsByPath(k.tree);
    for (const e of k.placement.entries) {
      const r = records.get(e.treePath);
      if (!r) return;
      files.push([e.target, t, r.path, r.ino, r.size, r.mtimeMs, r.mode, r.ctimeMs ?? -1, e.kind === 'bundle' ? 1 : 0, seenCtimes.get(e.target) ?? -1]);
    }
    for (const d of k.placement.dirs) dirs.add(d);
  }
  const view = managedView([...known]);
  const placed = new Set(files.map((f) => f[0]));
  const ownedExtra = [...view.files].filter((f) => !placed.has(f));
  const record: NoopRecord = { v: FORMAT, key, trees, entries, files, dirs: [...dirs], ownedExtra, ownedDirs: view.dirs, bundleRoots: view.bundleRoots };
  const file = joinSafe(repo.repoDir, NOOP_CHECK_FILE);
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify(record));
    renameSync(tmp, file);
  } catch {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing was written
    }
  }
}

/** The record's view of what the entries own, for untrackedIn. */
export function recordView(record: NoopRecord): ManagedView {
  return { files: new Set([...record.files.map((f) => f[0]), ...record.ownedExtra]), dirs: record.ownedDirs, bundleRoots: record.bundleRoots };
}

/**
 * The slow check's verdict from the record: every tree still the one signed,
 * every placed file the tree's inode (bundles: a file), every owned folder a
 * folder. `dirsSeen`: folders the walk for untracked files read as real
 * folders. `ctimeRecord(sha)`: the tree's CTIME_CHECKED record.
 */
export function recordStillHolds(repo: RepoContext, store: Store, record: NoopRecord, dirsSeen: ReadonlySet<string>, ctimeRecord: (sha256: string) => Record<string, CtimeCheck>): boolean {
  for (const [sha, sig] of record.trees) if (treeManifestSignature(store.layout, sha) !== sig) return false;
  const storeDev = storeDevice(store);
  for (const [target, t, treePath, ino, size, mtimeMs, mode, ctimeMs, bundle, seenCtime] of record.files) {
    let st: Stats;
    try {
      st = lstatSync(joinSafe(repo.repoDir, target));
    } catch {
      return false;
    }
    if (bundle === 1) {
      if (!st.isFile()) return false;
      continue;
    }
    const rec = { path: treePath, ino, size, mtimeMs, mode, sha256: '', ...(ctimeMs >= 0 ? { ctimeMs } : {}) } satisfies TreeFileRecord;
    // As the slow check, but a ctime still the one that check saw (and cleared) needs no look at the tree's record.
    if (!placedLinkIntact(st, rec, storeDev, () => ctimeRecord((record.trees[t] as [string, string])[0]), seenCtime >= 0 ? seenCtime : undefined)) return false;
  }
  return foldersPresent(repo.repoDir, record.dirs, dirsSeen);
}

