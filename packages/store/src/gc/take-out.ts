import type * as CacacheModule from 'cacache';
import fs from 'node:fs/promises';
import path from 'node:path';
import { lazyCacache as cacache } from '../lazy.js';
import { tmpName } from '../layout.js';
import type { Store } from '../store.js';
import type { StoredArchive } from './inventory.js';

/**
 * Everything gc deletes leaves its place in ONE rename into `tmp/` (same
 * filesystem, atomic): no reader ever sees half a tree or a truncated archive,
 * and the slow `rm -rf` happens later, outside the gc lock. A gc killed in
 * between leaves a `gc-*` folder whose owner is dead, which the next sweep takes.
 */
export async function moveIntoTmp(store: Store, src: string, purpose: string): Promise<string | undefined> {
  const dest = path.join(store.layout.tmp, tmpName(purpose));
  try {
    await fs.rename(src, dest);
    return dest;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined; // someone else (another gc, a quarantine) took it first
    throw err;
  }
}

/**
 * Puts a moved file back without ever replacing one that appeared meanwhile
 * (link fails with EEXIST where rename would overwrite): the newcomer has the
 * same bytes, since the path is the content's hash.
 */
export async function moveBack(from: string, to: string): Promise<void> {
  await fs.mkdir(path.dirname(to), { recursive: true });
  try {
    await fs.link(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  await fs.rm(from, { force: true });
}

/**
 * Hides an archive from every reader: its index keys first (a tombstone is an
 * append, so a concurrent ingest's own append is never lost, unlike a bucket
 * rewrite), then its bytes. Returns where the bytes went, if they existed.
 */
export async function takeArchiveOut(store: Store, archive: StoredArchive): Promise<string | undefined> {
  for (const e of archive.entries) await (await cacache()).rm.entry(store.layout.cas, e.key);
  return moveIntoTmp(store, archive.contentPath, 'gc-archive');
}

/** Undoes `takeArchiveOut`: the bytes, then each key that is still tombstoned (a newer entry wins). */
export async function putArchiveBack(store: Store, archive: StoredArchive, moved: string | undefined): Promise<void> {
  if (moved) await moveBack(moved, archive.contentPath);
  for (const e of archive.entries) {
    const now = await (await cacache()).get.info(store.layout.cas, e.key).catch(() => null);
    if (now) continue;
    const opts = { metadata: e.metadata, size: e.size, time: e.time } as CacacheModule.index.InsertOptions;
    await (await cacache()).index.insert(store.layout.cas, e.key, e.integrity, opts);
  }
}
