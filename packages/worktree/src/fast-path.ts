import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { CTIME_CHECKED, ctimeCleared, parseCtimeChecked, isArchiveMissing, parseDependency, readTreeManifestSync, type CtimeCheck, type Store, type TreeManifest } from '@swamp-store/store';
import { JOURNAL_FILE, STAGING_DIR, STATE_DIR } from './journal.js';
import { filesChecksumOfTree } from './files-checksum.js';
import { lockfileLockPath } from './lock-leftovers.js';
import { makeEntry, parseLockfile, type Channel, type LockEntries } from './lockfile.js';
import { MATERIALIZED_FILE, type Materialized } from './materialized.js';
import { placeTree, type Placement } from './placement.js';
import { isPristineLink, storeDevice } from './store-inode.js';
import { knownEntries, untrackedFiles } from './managed-files.js';
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
}

/** undefined when anything suggests work: leftovers to heal, a lock (held or dead), no lockfile. */
function quietState(repo: RepoContext): WorktreeState | undefined {
  if (exists(lockfileLockPath(repo)) || exists(path.join(repo.repoDir, JOURNAL_FILE))) return undefined;
  const lockDir = path.dirname(repo.lockfilePath);
  const lockName = path.basename(repo.lockfilePath);
  // Temps and eviction tombs beside the lockfile are a crashed command's: the full path sweeps them.
  for (const n of safeReaddir(lockDir)) if (n.startsWith(`.${lockName}.`) || n.startsWith(`${lockName}.`)) return undefined;
  for (const n of safeReaddir(path.join(repo.repoDir, STATE_DIR))) {
    if (n === path.posix.basename(MATERIALIZED_FILE)) continue;
    if (n !== 'staging' || safeReaddir(path.join(repo.repoDir, STAGING_DIR)).length > 0) return undefined;
  }
  let text: string;
  try {
    text = readFileSync(repo.lockfilePath, 'utf8');
  } catch {
    return undefined;
  }
  const entries = parseLockfile(text, repo.lockfilePath);
  let materialized: unknown;
  try {
    materialized = JSON.parse(readFileSync(path.join(repo.repoDir, MATERIALIZED_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof materialized !== 'object' || materialized === null || Array.isArray(materialized)) return undefined;
  return { entries, materialized: materialized as Materialized };
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
function inPlace(repo: RepoContext, store: Store, name: string, tree: TreeManifest, placement: Placement, materialized: Materialized, checksum: string | undefined): boolean {
  if (materialized[name] !== tree.sha256 || checksum !== tree.sha256) return false;
  const records = new Map(tree.files.map((f) => [f.path, f]));
  const storeDev = storeDevice(store);
  let checked: Record<string, CtimeCheck> | undefined;
  for (const e of placement.entries) {
    const rec = records.get(e.treePath);
    if (!rec) return false;
    let st;
    try {
      st = lstatSync(path.join(repo.repoDir, e.target));
    } catch {
      return false;
    }
    if (e.kind === 'bundle') {
      if (!st.isFile()) return false;
      continue;
    }
    if (!isPristineLink(st, rec, storeDev) || (st.mode & 0o7777) !== rec.mode) return false;
    // A changed ctime that the store's own check has not yet cleared (every link moves ctime, and so does a
    // write whose mtime was put back): the full path's heal step looks at it; this one does not guess.
    if (rec.ctimeMs !== undefined && st.ctimeMs !== rec.ctimeMs && ctimeCleared(st, rec, (checked ??= ctimeChecked(store, tree.sha256))) === 'hash') return false;
  }
  for (const d of placement.dirs) {
    try {
      if (!lstatSync(path.join(repo.repoDir, d)).isDirectory()) return false;
    } catch {
      return false;
    }
  }
  return true;
}

function upToDate(name: string, tree: TreeManifest, placement: Placement): PullResult {
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
    files: placement.entries.length,
    pruned: [],
    repaired: [],
    fallbacks: [],
    changed: false,
  };
}

/** The tree's record of ctimes found intact by re-hashing (store CTIME_CHECKED); empty when absent. */
function ctimeChecked(store: Store, sha256: string): Record<string, CtimeCheck> {
  try {
    return parseCtimeChecked(readFileSync(path.join(store.layout.trees, sha256, CTIME_CHECKED), 'utf8'));
  } catch {
    return {};
  }
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
    results.push(upToDate(tree.name, tree, placement));
  }
  return results;
}

/**
 * `extension install` with every entry in place and nothing untracked to
 * remove: the report, else undefined.
 */
export async function noopInstall(repo: RepoContext, store: Store): Promise<PullResult[] | undefined> {
  const state = quietState(repo);
  if (!state) return undefined;
  const known = knownEntries(repo, store, state.entries);
  for (const k of known) {
    if (!k.tree || !k.placement || k.tree.name !== k.name || !inPlace(repo, store, k.name, k.tree, k.placement, state.materialized, k.entry.checksum)) return undefined;
  }
  if (untrackedFiles(repo, known).length > 0) return undefined;
  return known.map((k) => upToDate(k.name, k.tree as TreeManifest, k.placement as Placement));
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
