import type * as CacacheModule from 'cacache';
import fs from 'node:fs/promises';
import path from 'node:path';
import { lazyCacache as cacache } from '../lazy.js';
import { isSha256Hex } from '@swamp-store/primitives';
import { treeDir } from '../layout.js';
import type { Store } from '../store.js';
import { readTreeManifest, type TreeManifest } from '../tree-manifest.js';
import { filesBelow, readdirOrEmpty } from './disk-usage.js';

/** A folder in `trees/`. Last use is the folder's mtime, which every link refreshes (`touchTree`). */
export interface StoredTree {
  sha256: string;
  dir: string;
  lastUsedMs: number;
  /** Undefined when `.tree.json` is missing or unreadable: such a folder is not a tree anyone links. */
  manifest: TreeManifest | undefined;
}

export async function listTrees(store: Store): Promise<StoredTree[]> {
  const out: StoredTree[] = [];
  for (const name of (await readdirOrEmpty(store.layout.trees)).sort()) {
    if (!isSha256Hex(name)) continue;
    const dir = treeDir(store.layout, name);
    let st;
    try {
      st = await fs.lstat(dir);
    } catch {
      continue; // collected or quarantined since readdir
    }
    if (!st.isDirectory()) continue;
    out.push({ sha256: name, dir, lastUsedMs: st.mtimeMs, manifest: await readTreeManifest(store.layout, name) });
  }
  return out;
}

/** One index entry as cacache keeps it; kept whole so a removal can be undone. */
export interface IndexEntry {
  key: string;
  integrity: string;
  time: number;
  size: number | undefined;
  metadata: unknown;
}

/** The bytes of one archive in cacache and every index key that points at them. */
export interface StoredArchive {
  sha256: string;
  integrity: string;
  name: string | undefined;
  version: string | undefined;
  /** Where cacache keeps the bytes (named by the strongest hash, sha512). */
  contentPath: string;
  /** Latest entry of every key whose latest entry points at these bytes. */
  entries: IndexEntry[];
  /** Undefined when the index names bytes the store no longer has. */
  content: { size: number; mtimeMs: number } | undefined;
  /** Newest index write for these bytes: an ingest or a `recordVersion` is a use. */
  lastIndexedMs: number;
}

function sha256Of(integrity: string, metadata: unknown): string | undefined {
  const meta = metadata as { sha256?: unknown } | undefined;
  if (typeof meta?.sha256 === 'string' && isSha256Hex(meta.sha256)) return meta.sha256;
  // An SRI string is space-separated `<algo>-<base64>` tokens; no need to load ssri for that.
  const token = integrity.split(/\s+/).find((t) => t.startsWith('sha256-'));
  const hex = token ? Buffer.from(token.slice('sha256-'.length).split('?')[0] ?? '', 'base64').toString('hex') : '';
  return isSha256Hex(hex) ? hex : undefined;
}

export interface IndexListing {
  archives: StoredArchive[];
  /** Content paths ANY live index key points at, archives or not. */
  indexedPaths: Set<string>;
}

/** Archives by content, from cacache's index. Keys without a sha256 are not archives, but their content is indexed. */
export async function listArchives(store: Store): Promise<IndexListing> {
  const cas = store.layout.cas;
  let index: CacacheModule.ls.Cache;
  try {
    index = await (await cacache()).ls(cas);
  } catch {
    return { archives: [], indexedPaths: new Set() };
  }
  const byContent = new Map<string, StoredArchive>();
  const indexedPaths = new Set<string>();
  for (const e of Object.values(index)) {
    indexedPaths.add(e.path);
    const sha256 = sha256Of(e.integrity, e.metadata);
    if (!sha256) continue;
    let archive = byContent.get(e.path);
    if (!archive) {
      archive = { sha256, integrity: e.integrity, name: undefined, version: undefined, contentPath: e.path, entries: [], content: undefined, lastIndexedMs: 0 };
      byContent.set(e.path, archive);
    }
    const meta = e.metadata as { name?: unknown; version?: unknown } | undefined;
    if (typeof meta?.name === 'string' && typeof meta.version === 'string') {
      archive.name ??= meta.name;
      archive.version ??= meta.version;
    }
    archive.entries.push({ key: e.key, integrity: e.integrity, time: e.time, size: e.size, metadata: e.metadata });
    archive.lastIndexedMs = Math.max(archive.lastIndexedMs, e.time);
  }
  const out = [...byContent.values()];
  await Promise.all(
    out.map(async (a) => {
      try {
        const st = await fs.stat(a.contentPath);
        a.content = { size: st.size, mtimeMs: st.mtimeMs };
      } catch {
        a.content = undefined;
      }
    }),
  );
  out.sort((a, b) => (a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0));
  return { archives: out, indexedPaths };
}

/** A content file no index key points at (an ingest that died before indexing, or keys removed by hand). */
export interface ContentBlob {
  path: string;
  size: number;
  mtimeMs: number;
}

export function contentRoot(store: Store): string {
  return path.join(store.layout.cas, 'content-v2');
}

export async function listUnindexedBlobs(store: Store, indexed: ReadonlySet<string>): Promise<ContentBlob[]> {
  const out: ContentBlob[] = [];
  for (const file of await filesBelow(contentRoot(store))) {
    if (indexed.has(file)) continue;
    try {
      const st = await fs.lstat(file);
      out.push({ path: file, size: st.size, mtimeMs: st.mtimeMs });
    } catch {
      // gone since the walk
    }
  }
  return out;
}
