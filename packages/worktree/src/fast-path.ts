import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { joinSafe } from '@swamp-store/primitives';
import { fileRecordsByPath, isArchiveMissing, parseDependency, readCtimeRecord, readTreeManifestSync, type CtimeCheck, type Store, type TreeManifest } from '@swamp-store/store';
import { JOURNAL_FILE, KEPT_STATE_FILES, STAGING_DIR, STATE_DIR } from './journal.js';
import { filesChecksumOfTree } from './files-checksum.js';
import { lockfileLockPath } from './lock-leftovers.js';
import { makeEntry, parseLockfile, type Channel, type LockEntries } from './lockfile.js';
import { MATERIALIZED_FILE, type Materialized } from './materialized.js';
import { placeTree, type Placement } from './placement.js';
import { placedLinkIntact, storeDevice } from './store-inode.js';
import { foldersPresent, knownEntries, untrackedFiles, untrackedIn } from './managed-files.js';
import { noopKey, readNoopRecord, recordStillHolds, recordView, writeNoopRecord } from './noop-check.js';
import type { PullResult } from './pull.js';
import type { RepoContext } from './repo.js';

/**
 * The no-op fast path: with no lock and no write, tell whether a command would
 * change nothing, by reading the lockfile and what is materialized and
 * lstat-ing each placed file once. Any doubt (a leftover of a crashed command,
 * a lock, a file that is not the store's inode, a missing tree) answers
 * undefined, and the caller runs the full transaction, which decides under
 * the lock. A "yes" needs no lock: every fact it rests on is one a writer
 * changes only by replacing files, and a reader racing a writer sees either the
 * state before or after it, both of which are consistent installs.
 */

interface WorktreeState {
  entries: LockEntries;
  materialized: Materialized;
  /** The texts, for the noop-check record's key. */
  lockfileText: string;
  materializedText: string;
}

/** The lockfile and materialized texts when nothing suggests work (see quietState); not parsed. */
function quietTexts(repo: RepoContext): { lockfileText: string; materializedText: string } | undefined {
  if (exists(lockfileLockPath(repo)) || exists(path.join(repo.repoDir, JOURNAL_FILE))) return undefined;
  const lockDir = path.dirname(repo.lockfilePath);
  const lockName = path.basename(repo.lockfilePath);
  // Temps and eviction tombs beside the lockfile are a crashed command's: the full path sweeps them.
  for (const n of safeReaddir(lockDir)) if (n.startsWith(`.${lockName}.`) || n.startsWith(`${lockName}.`)) return undefined;
  for (const n of safeReaddir(path.join(repo.repoDir, STATE_DIR))) {
    if (KEPT_STATE_FILES.has(n)) continue;
    if (n !== 'staging' || safeReaddir(path.join(repo.repoDir, STAGING_DIR)).length > 0) return undefined;
  }
  try {
    return { lockfileText: readFileSync(repo.lockfilePath, 'utf8'), materializedText: readFileSync(path.join(repo.repoDir, MATERIALIZED_FILE), 'utf8') };
  } catch {
    return undefined;
  }
}

/** undefined when anything suggests work: leftovers to heal, a lock (held or dead), no lockfile. */
function quietState(repo: RepoContext, texts = quietTexts(repo)): WorktreeState | undefined {
  if (!texts) return undefined;
  const entries = parseLockfile(texts.lockfileText, repo.lockfilePath);
  let materialized: unknown;
  try {
    materialized = JSON.parse(texts.materializedText);
  } catch {
    return undefined;
  }
  if (typeof materialized !== 'object' || materialized === null || Array.isArray(materialized)) return undefined;
  return { entries, materialized: materialized as Materialized, ...texts };
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** True when every file `name`'s entry places is already there as the tree's own inode (bundles: as installed copies). */
function inPlace(repo: RepoContext, store: Store, name: string, tree: TreeManifest, placement: Placement, materialized: Materialized, checksum: string | undefined, dirsSeen?: ReadonlySet<string>, seenCtimes?: Map<string, number>): boolean {
  if (materialized[name] !== tree.sha256 || checksum !== tree.sha256) return false;
  const records = fileRecordsByPath(tree);
  const storeDev = storeDevice(store);
  let checked: Record<string, CtimeCheck> | undefined;
  for (const e of placement.entries) {
    const rec = records.get(e.treePath);
    if (!rec) return false;
    let st;
    try {
      st = lstatSync(joinSafe(repo.repoDir, e.target)); // placement targets are proven safe
    } catch {
      return false;
    }
    if (e.kind === 'bundle') {
      if (!st.isFile()) return false;
      continue;
    }
    // A ctime move the store's own check has not cleared: the full path's heal step looks at it; this one does not guess.
    if (!placedLinkIntact(st, rec, storeDev, () => (checked ??= readCtimeRecord(store.layout, tree)))) return false;
    seenCtimes?.set(e.target, st.ctimeMs);
  }
  return foldersPresent(repo.repoDir, placement.dirs, dirsSeen);
}

function upToDate(name: string, tree: Pick<TreeManifest, 'sha256' | 'version'>, files: number): PullResult {
  return {
    name,
    version: tree.version,
    checksum: tree.sha256,
    store: 'hit',
    downloaded: false,
    verified: true,
    source: 'store',
    pushed: false,
    linked: { hardlink: 0, reflink: 0, copy: 0 },
    files,
    pruned: [],
    repaired: [],
    fallbacks: [],
    changed: false,
  };
}

export interface LocalArchive {
  /** sha256 of the archive file, as its tree is keyed in the store. */
  sha256: string;
}

/**
 * A pull of local archives that are all installed already, each entry exactly
 * what a pull would write (same version and files, no serverUrl or channel),
 * and every dependency already in the lockfile (Swamp skips those): the
 * results, else undefined.
 */
export async function noopPull(repo: RepoContext, store: Store, archives: readonly LocalArchive[]): Promise<PullResult[] | undefined> {
  const state = quietState(repo);
  if (!state) return undefined;
  const results: PullResult[] = [];
  for (const a of archives) {
    const tree = readTreeManifestSync(store.layout, a.sha256);
    if (!tree) return undefined;
    const old = state.entries[tree.name];
    const placement = placeTree({ name: tree.name, treeFiles: tree.files, treeDirs: tree.dirs, skillsDirs: repo.skillsDirs });
    if (!old || !inPlace(repo, store, tree.name, tree, placement, state.materialized, old.checksum)) return undefined;
    const expected = makeEntry(
      { version: tree.version, files: placement.lockfileFiles, include: tree.include, checksum: tree.sha256, filesChecksum: filesChecksumOfTree(tree.files), serverUrl: '', channel: undefined as Channel | undefined },
      old,
    );
    if (JSON.stringify(expected) !== JSON.stringify(old)) return undefined;
    for (const dep of tree.dependencies) if (!state.entries[parseDependency(dep).name]) return undefined;
    results.push(upToDate(tree.name, tree, placement.entries.length));
  }
  return results;
}

/**
 * `extension install` with every entry in place and nothing untracked to
 * remove: the report, else undefined.
 */
export async function noopInstall(repo: RepoContext, store: Store): Promise<PullResult[] | undefined> {
  const texts = quietTexts(repo);
  if (!texts) return undefined;
  // What the last no-op install found, if nothing it rested on changed since (noop-check.ts).
  const key = noopKey(repo, store, texts.lockfileText, texts.materializedText);
  const record = readNoopRecord(repo, key);
  if (record) {
    const dirsSeen = new Set<string>();
    if (untrackedIn(repo, recordView(record), dirsSeen).length > 0) return undefined;
    const ctimes = new Map<string, Record<string, CtimeCheck>>();
    // Read only for a tree one of whose files moved its ctime since the record was written.
    const ctimeRecord = (sha: string): Record<string, CtimeCheck> => {
      let r = ctimes.get(sha);
      if (!r) {
        const tree = readTreeManifestSync(store.layout, sha);
        ctimes.set(sha, (r = tree ? readCtimeRecord(store.layout, tree) : {}));
      }
      return r;
    };
    if (!recordStillHolds(repo, store, record, dirsSeen, ctimeRecord)) return undefined;
    return record.entries.map(([name, t, version, files]) => upToDate(name, { sha256: (record.trees[t] as [string, string])[0], version }, files));
  }
  const state = quietState(repo, texts);
  if (!state) return undefined;
  const known = knownEntries(repo, store, state.entries);
  // The walk for untracked files reads every managed folder once: the folders it saw need no lstat below.
  const dirsSeen = new Set<string>();
  if (untrackedFiles(repo, known, dirsSeen).length > 0) return undefined;
  const seenCtimes = new Map<string, number>();
  for (const k of known) {
    if (!k.tree || !k.placement || k.tree.name !== k.name || !inPlace(repo, store, k.name, k.tree, k.placement, state.materialized, k.entry.checksum, dirsSeen, seenCtimes)) return undefined;
  }
  writeNoopRecord(repo, store, key, known, seenCtimes);
  return known.map((k) => upToDate(k.name, k.tree as TreeManifest, (k.placement as Placement).entries.length));
}

/** Local archive files whose bytes are hashed in one read each; large ones are left to the full path's streaming hash. */
const MAX_FAST_HASH_BYTES = 32 * 1024 * 1024;

/**
 * noopPull for archive paths: each file hashed (the store keys trees by the
 * archive's sha256) and its tree's archive still in the store (one marked
 * missing makes the full path ingest it again). undefined on any doubt.
 */
export async function noopPullOfArchives(repo: RepoContext, store: Store, files: readonly string[]): Promise<PullResult[] | undefined> {
  const archives: LocalArchive[] = [];
  for (const file of files) {
    let bytes: Buffer;
    try {
      if (statSync(file).size > MAX_FAST_HASH_BYTES) return undefined;
      bytes = readFileSync(file);
    } catch {
      return undefined;
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (await isArchiveMissing(store, sha256)) return undefined;
    archives.push({ sha256 });
  }
  return noopPull(repo, store, archives);
}
