import { lstatSync, type Stats } from 'node:fs';
import fs from 'node:fs/promises';

/**
 * The one policy for "what is at this path, if anything": only ENOENT and
 * ENOTDIR (a parent is a file) mean nothing is there. Every other error
 * (EACCES, EIO, ELOOP...) is thrown: read as "absent", it would let a planner
 * overwrite a file it could not see, or a verify report a present file missing.
 */
function isAbsent(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** lstat, or undefined when nothing is at `abs`; other errors are thrown. */
export async function lstatOrUndefined(abs: string): Promise<Stats | undefined> {
  try {
    return await fs.lstat(abs);
  } catch (err) {
    if (isAbsent(err)) return undefined;
    throw err;
  }
}

/** The sync twin of lstatOrUndefined, for planners that stat thousands of files in a loop. */
export function lstatSyncOrUndefined(abs: string): Stats | undefined {
  try {
    return lstatSync(abs);
  } catch (err) {
    if (isAbsent(err)) return undefined;
    throw err;
  }
}
