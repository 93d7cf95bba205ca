import fs from 'node:fs/promises';
import path from 'node:path';
import { StoreError } from './errors.js';
import { LAYOUT_VERSION } from './layout.js';

/** `writable`: usable as is; `read-only`: serves what it holds, writes nothing; `absent`: created on first write. */
export type StoreAccess = 'writable' | 'read-only' | 'absent';

const FIX = 'Set SWAMP_STORE_DIR to an absolute path of a folder this user can write (or unset it for the per-user default), or fix that folder\'s permissions.';

/** The one error for a store folder that cannot be used; the message names SWAMP_STORE_DIR, the remedy the fix. */
export function storeUnusable(root: string, why: string, cause?: unknown): StoreError {
  return new StoreError('E_STORE', `The store folder ${root} (SWAMP_STORE_DIR) cannot be used: ${why}.`, FIX, cause === undefined ? undefined : { cause });
}

/** What a command that needs to write into a read-only store says. */
export function storeReadOnly(root: string, lacking?: string): StoreError {
  return new StoreError(
    'E_STORE',
    `The store folder ${root} (SWAMP_STORE_DIR) is read-only to this user ${lacking ? `and does not hold ${lacking}` : 'and this command must write into it'}.`,
    'Fill the store as a user who can write it (run the same command there), or set SWAMP_STORE_DIR to an absolute path of a folder this user can write.',
  );
}

const DENIED = new Set(['EACCES', 'EPERM', 'EROFS']);

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Looks at the store folder before a command uses it, so that a folder that is
 * a file, unreadable or read-only is said plainly instead of surfacing as a raw
 * ENOTDIR deep inside a command, or worse, as an empty store.
 */
export async function probeStore(root: string): Promise<StoreAccess> {
  let st;
  try {
    st = await fs.stat(root);
  } catch (err) {
    if (errno(err) === 'ENOENT') return 'absent';
    if (errno(err) === 'ENOTDIR') throw storeUnusable(root, 'a part of its path is a file, not a folder', err);
    if (DENIED.has(errno(err) ?? '')) throw storeUnusable(root, 'this user may not look into it (permission denied)', err);
    throw storeUnusable(root, String((err as Error).message), err);
  }
  if (!st.isDirectory()) throw storeUnusable(root, 'it is a file, not a folder');
  try {
    await fs.access(root, fs.constants.R_OK | fs.constants.X_OK);
  } catch (err) {
    throw storeUnusable(root, 'this user may not read it (permission denied)', err);
  }
  const base = path.join(root, LAYOUT_VERSION);
  const baseSt = await fs.stat(base).catch(() => undefined);
  if (baseSt && !baseSt.isDirectory()) throw storeUnusable(root, `${base} is a file, not a folder`);
  // The folders every writer touches first; one that refuses writes makes the store read-only to us.
  const targets = baseSt ? [base, path.join(base, 'temp-roots'), path.join(base, 'tmp')] : [root];
  for (const t of targets) {
    try {
      await fs.access(t, fs.constants.W_OK);
    } catch (err) {
      if (DENIED.has(errno(err) ?? '')) return 'read-only';
      if (errno(err) !== 'ENOENT') throw storeUnusable(root, String((err as Error).message), err);
    }
  }
  return 'writable';
}
