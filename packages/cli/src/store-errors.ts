import path from 'node:path';

/**
 * Store problems the CLI recognises from a raw errno (a permission or
 * read-only error on a path inside the store), so they read as E_STORE naming
 * SWAMP_STORE_DIR wherever in a command they surface.
 */

let storeRoot: string | undefined;

/** Called once the command knows its store folder. */
export function noteStoreRoot(root: string): void {
  storeRoot = root;
}

const STORE_ERRNOS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'it is on a read-only filesystem',
  ENOTDIR: 'a part of its path is a file, not a folder',
};

export interface CodedStoreError {
  code: 'E_STORE';
  message: string;
  remedy: string;
}

export function storeFsError(err: unknown): CodedStoreError | undefined {
  const e = err as NodeJS.ErrnoException | undefined;
  const why = e?.code ? STORE_ERRNOS[e.code] : undefined;
  if (!why || !storeRoot || typeof e?.path !== 'string') return undefined;
  const rel = path.relative(storeRoot, path.resolve(e.path));
  // The store root itself ('') or a path below it; a parent folder that refused the mkdir counts too.
  const inside = !rel.startsWith('..') && !path.isAbsolute(rel);
  const parent = !path.relative(path.resolve(e.path), storeRoot).startsWith('..');
  if (!inside && !parent) return undefined;
  return {
    code: 'E_STORE',
    message: `The store folder ${storeRoot} (SWAMP_STORE_DIR) cannot be used: ${why} (${e.syscall ?? 'access'} ${e.path}).`,
    remedy: "Set SWAMP_STORE_DIR to an absolute path of a folder this user can write (or unset it for the per-user default), or fix that folder's permissions.",
  };
}
