import { lazyCacache as cacache } from './lazy.js';
import { sha256Key, type ArchiveInfo } from './archives.js';
import { StoreError } from './errors.js';
import { ensureTree, type EnsureTreeResult } from './publish.js';
import type { Store } from './store.js';

/** Failures that are the archive's own fault: keeping its bytes would only fail again the same way. */
const ARCHIVE_FAULTS = new Set(['E_ARCHIVE_CORRUPT', 'E_UNSAFE_ARCHIVE', 'E_ARCHIVE_LIMIT', 'E_MANIFEST']);

/**
 * Unpacks an archive that was just ingested from a path or URL the user named.
 * An archive that cannot be unpacked is removed again (bytes and index keys),
 * so it never lingers in the store as an anonymous `?@?` entry, and the error
 * names the archive the user gave.
 */
export async function ensureTreeOrReject(store: Store, info: ArchiveInfo, sourceKey: string, label: string): Promise<EnsureTreeResult> {
  try {
    return await ensureTree(store, info.sha256);
  } catch (err) {
    const e = err as { code?: string; message?: string; remedy?: string };
    if (!e.code || !ARCHIVE_FAULTS.has(e.code)) throw err;
    const c = await cacache();
    await Promise.all([
      c.rm.entry(store.layout.cas, sourceKey).catch(() => undefined),
      c.rm.entry(store.layout.cas, sha256Key(info.sha256)).catch(() => undefined),
      c.rm.content(store.layout.cas, info.integrity).catch(() => undefined),
    ]);
    throw new StoreError(e.code as StoreError['code'], `${label}: ${e.message ?? String(err)}`, e.remedy ?? 'Check that the file is an extension archive (.tar.gz) made by Swamp.', { cause: err });
  }
}
