import fs from 'node:fs/promises';
import path from 'node:path';
import type { Store } from './store.js';

/**
 * Trees whose archive was removed while the tree stayed (a damaged archive
 * dropped by `cache verify --repair`). A pull that finds the tree published
 * normally skips re-ingesting its source (hashing is cheaper than loading
 * cacache); a marker here makes it ingest again, so the store gets back the
 * archive it keeps as insurance for re-extracting a tampered tree. Checking
 * costs one failed stat.
 */
function markerPath(store: Store, sha256: string): string {
  return path.join(store.layout.state, 'archive-missing', sha256);
}

export async function markArchiveMissing(store: Store, sha256: string): Promise<void> {
  const file = markerPath(store, sha256);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, '');
}

export async function isArchiveMissing(store: Store, sha256: string): Promise<boolean> {
  try {
    await fs.access(markerPath(store, sha256));
    return true;
  } catch {
    return false;
  }
}

export async function clearArchiveMissing(store: Store, sha256: string): Promise<void> {
  await fs.rm(markerPath(store, sha256), { force: true });
}
