import fs from 'node:fs/promises';
import path from 'node:path';
import { listRoots, type RootRecord } from '../roots.js';
import type { Store } from '../store.js';
import { listArchives, listTrees } from './inventory.js';

export interface ListedTree {
  checksum: string;
  name: string | null;
  version: string | null;
  files: number;
  bytes: number;
  lastUsed: string;
}

export interface ListedArchive {
  checksum: string;
  name: string | null;
  version: string | null;
  bytes: number;
}

export interface ListedRoot {
  repoDir: string;
  /** False when the worktree folder is gone (the next gc drops it). */
  alive: boolean;
}

export interface StoreListing {
  dir: string;
  trees: ListedTree[];
  archives: ListedArchive[];
  roots: ListedRoot[];
  /** Every path counted: store trees, archive bytes and each live worktree's materialised files. */
  logicalBytes: number;
  /** The same, each (device, inode) counted once: what hardlinking actually costs on disk. */
  physicalBytes: number;
}

export interface ListStoreOptions {
  /** Absolute paths of the files materialised in a root's worktree (from the worktree package). */
  filesOf?: (root: RootRecord) => Promise<string[]>;
}

class ByteCounter {
  logical = 0;
  physical = 0;
  private readonly seen = new Set<string>();

  /** Counts one path; returns its size (0 when it is not a regular file or is gone). */
  async add(abs: string): Promise<number> {
    let st;
    try {
      st = await fs.lstat(abs);
    } catch {
      return 0;
    }
    if (!st.isFile()) return 0;
    this.logical += st.size;
    const id = `${st.dev}:${st.ino}`;
    if (!this.seen.has(id)) {
      this.seen.add(id);
      this.physical += st.size;
    }
    return st.size;
  }
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** `cache ls`: what the store holds, who uses it, and what hardlinks save. */
export async function listStore(store: Store, opts: ListStoreOptions = {}): Promise<StoreListing> {
  const counter = new ByteCounter();
  const trees: ListedTree[] = [];
  for (const t of await listTrees(store)) {
    let bytes = 0;
    for (const f of t.manifest?.files ?? []) bytes += await counter.add(path.join(t.dir, ...f.path.split('/')));
    trees.push({
      checksum: t.sha256,
      name: t.manifest?.name ?? null,
      version: t.manifest?.version ?? null,
      files: t.manifest?.files.length ?? 0,
      bytes,
      lastUsed: new Date(t.lastUsedMs).toISOString(),
    });
  }
  const archives: ListedArchive[] = [];
  for (const a of (await listArchives(store)).archives) {
    if (!a.content) continue;
    archives.push({ checksum: a.sha256, name: a.name ?? null, version: a.version ?? null, bytes: await counter.add(a.contentPath) });
  }
  const roots: ListedRoot[] = [];
  for (const r of await listRoots(store)) {
    const alive = await isDir(r.record.repoDir);
    roots.push({ repoDir: r.record.repoDir, alive });
    if (!alive || !opts.filesOf) continue;
    const files = await opts.filesOf(r.record).catch(() => [] as string[]);
    for (const f of files) await counter.add(f);
  }
  roots.sort((a, b) => (a.repoDir < b.repoDir ? -1 : 1));
  return { dir: store.layout.root, trees, archives, roots, logicalBytes: counter.logical, physicalBytes: counter.physical };
}
