import fs from 'node:fs/promises';
import path from 'node:path';
import { isSha256Hex, isProcessAlive, parseSha256Hex } from '@swamp-store/primitives';
import { listRoots, type RootEntry, type RootRecord } from '../roots.js';
import type { Store } from '../store.js';
import { listTempRoots, TEMP_ROOT_MAX_AGE_MS } from '../temp-roots.js';
import type { StoredTree } from './inventory.js';

/** What a root needs: its digests, or `gone` when its folder no longer exists. Throwing means "cannot tell". */
export type LiveDigestsOf = (root: RootRecord) => Promise<Set<string> | 'gone'>;
/** Absolute paths of the files materialised in a root's worktree. */
export type FilesOf = (root: RootRecord) => Promise<string[]>;

export interface UnknownNeed {
  /** The worktree folder, or the temp-root file, whose needs could not be read. */
  path: string;
  reason: string;
}

export interface LiveSet {
  gcStart: number;
  /** Every digest a live root or a running command needs. */
  digests: Set<string>;
  /** `startedAt` of the oldest running command: anything used since may be its work. */
  oldestCommandStart: number | undefined;
  runningCommands: number;
  deadTempRoots: string[];
  goneRoots: RootEntry[];
  liveRoots: RootEntry[];
  /** Non-empty means gc cannot prove any tree or archive unneeded, so it removes none. */
  unknown: UnknownNeed[];
}

/** `<host>-<pid>-<rand>.json`, the name `beginPins` gives a temp root. */
function tempRootOwner(file: string): { host: string; pid: number } | undefined {
  const m = /^(.+)-(\d+)-[0-9a-f]+\.json$/.exec(path.basename(file));
  return m?.[1] && m[2] ? { host: m[1], pid: Number(m[2]) } : undefined;
}

/**
 * The mark phase; call it holding the gc lock. Temp roots are read BEFORE
 * lockfiles: a command that pinned a digest before gc took the lock either
 * still has its temp root when we look, or has released it, which it does
 * only after writing its lockfile, which we then read. (The other order
 * loses a digest whose pin is released between the two reads.)
 */
export async function markLive(store: Store, liveDigestsOf: LiveDigestsOf): Promise<LiveSet> {
  const gcStart = Date.now();
  const live: LiveSet = {
    gcStart,
    digests: new Set(),
    oldestCommandStart: undefined,
    runningCommands: 0,
    deadTempRoots: [],
    goneRoots: [],
    liveRoots: [],
    unknown: [],
  };
  const noteCommand = (startedAt: number) => {
    live.runningCommands++;
    live.oldestCommandStart = Math.min(live.oldestCommandStart ?? Infinity, startedAt);
  };

  for (const t of await listTempRoots(store)) {
    if (t.record && t.alive) {
      noteCommand(t.record.startedAt);
      for (const d of t.record.digests) if (isSha256Hex(d)) live.digests.add(d);
      continue;
    }
    if (!t.record) {
      // Records are written by rename, so an unreadable one is garbage or an I/O
      // error. If its owner may be running, we cannot know what it pinned.
      const owner = tempRootOwner(t.file);
      const mtime = await fs.lstat(t.file).then((s) => s.mtimeMs, () => undefined);
      if (mtime === undefined) continue; // released since the listing
      if (owner && isProcessAlive(owner.pid, owner.host) && gcStart - mtime < TEMP_ROOT_MAX_AGE_MS) {
        noteCommand(mtime);
        live.unknown.push({ path: t.file, reason: 'the temp root of a running command cannot be read' });
        continue;
      }
    }
    live.deadTempRoots.push(t.file);
  }

  for (const root of await listRoots(store)) {
    let needs: Set<string> | 'gone';
    try {
      needs = await liveDigestsOf(root.record);
    } catch (err) {
      live.unknown.push({ path: root.record.repoDir, reason: (err as Error).message });
      continue;
    }
    if (needs === 'gone') {
      live.goneRoots.push(root);
      continue;
    }
    live.liveRoots.push(root);
    for (const d of needs) {
      const hex = parseSha256Hex(d);
      if (hex) live.digests.add(hex);
    }
  }
  return live;
}

/**
 * Trees among `candidates` whose files are materialised in a live worktree
 * (same device and inode as the tree's file), whatever its lockfile says: a
 * lockfile reverted by hand or by git still leaves the old files in place.
 * Throws when a root's files cannot be listed.
 */
export async function treesInUseOnDisk(store: Store, roots: readonly RootEntry[], candidates: readonly StoredTree[], filesOf: FilesOf): Promise<Set<string>> {
  const byInode = new Map<number, string>();
  for (const t of candidates) for (const f of t.manifest?.files ?? []) if (typeof f.ino === 'number') byInode.set(f.ino, t.sha256);
  const used = new Set<string>();
  if (byInode.size === 0) return used;
  const storeDev = (await fs.stat(store.layout.trees)).dev;
  for (const root of roots) {
    let files: string[];
    try {
      files = await filesOf(root.record);
    } catch (err) {
      throw new Error(`the files of ${root.record.repoDir} cannot be listed (${(err as Error).message})`, { cause: err });
    }
    for (const f of files) {
      const st = await fs.lstat(f).catch(() => undefined);
      if (!st || st.dev !== storeDev) continue;
      const sha = byInode.get(st.ino);
      if (sha) used.add(sha);
    }
  }
  return used;
}
