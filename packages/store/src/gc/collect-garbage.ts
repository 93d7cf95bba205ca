import fs from 'node:fs/promises';
import { withLock } from '@swamp-store/lock';
import { gcLockPath } from '../layout.js';
import { dropRoot } from '../roots.js';
import { ensureLayout, type Store } from '../store.js';
import { listTempRoots } from '../temp-roots.js';
import { diskUsage } from './disk-usage.js';
import { listArchives, listTrees, listUnindexedBlobs, type ContentBlob, type StoredArchive, type StoredTree } from './inventory.js';
import { markLive, treesInUseOnDisk, type FilesOf, type LiveDigestsOf, type LiveSet, type UnknownNeed } from './mark-live.js';
import { removeWritable, sweepLeftovers } from './sweep-leftovers.js';
import { moveBack, moveIntoTmp, putArchiveBack, takeArchiveOut } from './take-out.js';

/** Trees: one hour since last use, long enough for an agent's burst of pulls in sibling worktrees to share them. */
export const DEFAULT_TREE_MAX_AGE_MS = 60 * 60 * 1000;
/**
 * Archives: a week. They are compressed (several times smaller than their
 * tree), they let a collected tree come back without the network, and they are
 * what a tampered tree is re-extracted from.
 */
export const DEFAULT_ARCHIVE_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;
/**
 * Filesystem timestamps come from a coarser clock than Date.now() (a few ms on
 * Linux, seconds on some network filesystems): content a command made just
 * after its start may carry an mtime just before it.
 */
export const CLOCK_SLACK_MS = 1000;

export interface GcOptions {
  /** Grace period of unreferenced trees since last use; default one hour. */
  maxAgeMs?: number;
  /** Grace period of unreferenced archives; default seven days. */
  archiveMaxAgeMs?: number;
  dryRun?: boolean;
  liveDigestsOf: LiveDigestsOf;
  /** Materialised files of a root; when given, a tree whose inodes a live worktree holds is kept. */
  filesOf?: FilesOf;
  onProgress?: (text: string) => void;
}

export interface GcReport {
  dryRun: boolean;
  removed: {
    trees: string[];
    archives: string[];
    /** Worktrees whose folder is gone; their records were dropped. */
    roots: string[];
    /** Everything removed from the store, staging leftovers included (space frees once no worktree links the files). */
    bytes: number;
    /** Content files no index key pointed at. */
    blobs: number;
    /** Records of commands that died. */
    tempRoots: number;
    /** Staging of dead processes and quarantined trees. */
    leftovers: number;
    /** Their bytes (part of `bytes`): partial downloads and half-extracted trees of interrupted commands. */
    leftoverBytes: number;
  };
  kept: { trees: number; archives: number };
  /** Worktrees or commands whose needs could not be read: while any is listed, no tree or archive is removed. */
  unknown: UnknownNeed[];
  /** Unreferenced, old archives kept because commands were running (see `planArchives`). */
  deferredArchives: number;
}

interface Plan {
  trees: StoredTree[];
  archives: StoredArchive[];
  blobs: ContentBlob[];
  totalTrees: number;
  totalArchives: number;
  deferredArchives: number;
}

interface Moved {
  trees: { tree: StoredTree; at: string }[];
  archives: { archive: StoredArchive; at: string | undefined }[];
  blobs: { blob: ContentBlob; at: string }[];
}

/** Anything used at or after this instant is kept: it is within the grace period, or a running command may have made it. */
function keepSince(live: LiveSet, maxAgeMs: number): number {
  return Math.min(live.gcStart - maxAgeMs, live.oldestCommandStart ?? Infinity) - CLOCK_SLACK_MS;
}

async function planTrees(store: Store, live: LiveSet, opts: GcOptions, trees: StoredTree[]): Promise<StoredTree[]> {
  if (live.unknown.length > 0) return [];
  const since = keepSince(live, opts.maxAgeMs ?? DEFAULT_TREE_MAX_AGE_MS);
  const candidates = trees.filter((t) => !live.digests.has(t.sha256) && t.lastUsedMs < since);
  if (candidates.length === 0 || !opts.filesOf) return candidates;
  let onDisk: Set<string>;
  try {
    onDisk = await treesInUseOnDisk(store, live.liveRoots, candidates, opts.filesOf);
  } catch (err) {
    live.unknown.push({ path: '(worktree files)', reason: (err as Error).message });
    return [];
  }
  return candidates.filter((t) => !onDisk.has(t.sha256));
}

/**
 * Archives follow their tree: one is a candidate only when its tree is gone
 * or goes in this run, and its own last use (ingest, index write, tree use) is
 * past the archive grace period.
 *
 * Unlike trees, archives are looked up BEFORE a command pins them (a resolver
 * checks the store for the bytes, then the command pins the digest). So they
 * are removed only in a quiet moment: no command running when we mark, and
 * (checked again after the bytes are moved out) none started meanwhile; any
 * command that looks after the move finds them missing and fetches again.
 */
function planArchives(live: LiveSet, opts: GcOptions, archives: StoredArchive[], trees: StoredTree[], goingTrees: StoredTree[]): { go: StoredArchive[]; deferred: number } {
  if (live.unknown.length > 0) return { go: [], deferred: 0 };
  const since = keepSince(live, opts.archiveMaxAgeMs ?? DEFAULT_ARCHIVE_MAX_AGE_MS);
  const going = new Set(goingTrees.map((t) => t.sha256));
  const treeOf = new Map(trees.map((t) => [t.sha256, t]));
  const eligible = archives.filter((a) => {
    if (live.digests.has(a.sha256)) return false;
    const tree = treeOf.get(a.sha256);
    if (tree && !going.has(a.sha256)) return false;
    const lastUse = Math.max(a.content?.mtimeMs ?? 0, a.lastIndexedMs, tree?.lastUsedMs ?? 0);
    return lastUse < since;
  });
  return live.runningCommands > 0 ? { go: [], deferred: eligible.length } : { go: eligible, deferred: 0 };
}

async function plan(store: Store, live: LiveSet, opts: GcOptions): Promise<Plan> {
  const trees = await listTrees(store);
  const { archives, indexedPaths } = await listArchives(store);
  const goingTrees = await planTrees(store, live, opts, trees);
  const { go, deferred } = planArchives(live, opts, archives, trees, goingTrees);
  let blobs: ContentBlob[] = [];
  if (live.unknown.length === 0 && live.runningCommands === 0) {
    const since = keepSince(live, opts.archiveMaxAgeMs ?? DEFAULT_ARCHIVE_MAX_AGE_MS);
    blobs = (await listUnindexedBlobs(store, indexedPaths)).filter((b) => b.mtimeMs < since);
  }
  return { trees: goingTrees, archives: go, blobs, totalTrees: trees.length, totalArchives: archives.length, deferredArchives: deferred };
}

/** The sweep's irreversible part, under the gc lock: each item leaves its place in one rename. */
async function moveOut(store: Store, live: LiveSet, p: Plan, assertHeld: () => void): Promise<Moved> {
  const moved: Moved = { trees: [], archives: [], blobs: [] };
  for (const tree of p.trees) {
    assertHeld();
    const at = await moveIntoTmp(store, tree.dir, 'gc-tree');
    if (at) moved.trees.push({ tree, at });
  }
  if (p.archives.length === 0 && p.blobs.length === 0) return moved;
  for (const archive of p.archives) {
    assertHeld();
    moved.archives.push({ archive, at: await takeArchiveOut(store, archive) });
  }
  for (const blob of p.blobs) {
    assertHeld();
    const at = await moveIntoTmp(store, blob.path, 'gc-blob');
    if (at) moved.blobs.push({ blob, at });
  }
  // A command that started after we marked may have found these bytes before
  // they moved; it cannot pin them until we release the lock, and would then
  // find them gone. Its temp root is on disk already, so we see it and undo.
  const dead = new Set(live.deadTempRoots);
  if ((await listTempRoots(store)).some((t) => !dead.has(t.file) && (t.alive || !t.record))) {
    for (const { archive, at } of moved.archives) await putArchiveBack(store, archive, at);
    for (const { blob, at } of moved.blobs) await moveBack(at, blob.path);
    p.deferredArchives += moved.archives.length;
    moved.archives = [];
    moved.blobs = [];
  }
  return moved;
}

async function sizeOf(archive: StoredArchive): Promise<number> {
  return archive.content?.size ?? 0;
}

/**
 * `cache gc`: the protocol of docs/ARCHITECTURE.md ("Protocol 3: gc marking"). Holding the gc
 * lock, which every command takes briefly to pin digests, it marks what live
 * roots and running commands need, then moves out what is unneeded and past
 * its grace period. Deleting the moved items and sweeping dead processes'
 * staging happen after the lock is released.
 */
export async function collectGarbage(store: Store, opts: GcOptions): Promise<GcReport> {
  await ensureLayout(store);
  const dryRun = Boolean(opts.dryRun);
  const progress = opts.onProgress ?? (() => undefined);

  const locked = async (assertHeld: () => void) => {
    progress('Reading roots and running commands...');
    const live = await markLive(store, opts.liveDigestsOf);
    progress('Listing trees and archives...');
    const p = await plan(store, live, opts);
    if (dryRun) return { live, p, moved: undefined };
    for (const root of live.goneRoots) await dropRoot(root);
    progress(`Removing ${p.trees.length} tree(s) and ${p.archives.length} archive(s)...`);
    return { live, p, moved: await moveOut(store, live, p, assertHeld) };
  };
  // A dry run changes nothing, so it need not make pulls wait for the lock.
  const { live, p, moved } = dryRun ? await locked(() => undefined) : await withLock(gcLockPath(store.layout), (ctx) => locked(() => ctx.assertHeld()));

  let bytes = 0;
  let trees: string[];
  let archives: string[];
  let blobs: number;
  if (moved) {
    for (const m of moved.trees) {
      bytes += await diskUsage(m.at);
      await removeWritable(m.at);
    }
    for (const m of moved.archives) {
      bytes += await sizeOf(m.archive);
      if (m.at) await fs.rm(m.at, { force: true });
    }
    for (const m of moved.blobs) {
      bytes += m.blob.size;
      await fs.rm(m.at, { force: true });
    }
    trees = moved.trees.map((m) => m.tree.sha256);
    archives = moved.archives.map((m) => m.archive.sha256);
    blobs = moved.blobs.length;
    for (const f of live.deadTempRoots) await fs.rm(f, { force: true });
  } else {
    for (const t of p.trees) bytes += await diskUsage(t.dir);
    for (const a of p.archives) bytes += await sizeOf(a);
    for (const b of p.blobs) bytes += b.size;
    trees = p.trees.map((t) => t.sha256);
    archives = p.archives.map((a) => a.sha256);
    blobs = p.blobs.length;
  }
  progress('Sweeping staging leftovers...');
  const leftovers = await sweepLeftovers(store, { dryRun });
  bytes += leftovers.bytes;

  return {
    dryRun,
    removed: {
      trees,
      archives,
      roots: live.goneRoots.map((r) => r.record.repoDir),
      bytes,
      blobs,
      tempRoots: live.deadTempRoots.length,
      leftovers: leftovers.paths.length,
      leftoverBytes: leftovers.bytes,
    },
    kept: { trees: p.totalTrees - trees.length, archives: p.totalArchives - archives.length },
    unknown: live.unknown,
    deferredArchives: p.deferredArchives,
  };
}
