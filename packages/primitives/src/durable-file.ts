import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Errors a directory fsync may give where the platform or filesystem cannot
 * sync a directory at all. The rename before it is still atomic there; only its
 * durability across power loss is weaker, so these are not failures.
 */
const DIR_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EINVAL', 'EPERM', 'EACCES', 'ENOTSUP', 'EOPNOTSUPP', 'EBADF']);

/**
 * Makes the entries of `dir` (a rename into it, a new file) durable. The one
 * error policy: "cannot sync a directory here" is ignored, anything else (EIO,
 * ENOSPC, a vanished folder) is thrown, because the caller's promise that the
 * change survives a crash would be false.
 */
export async function syncDir(dir: string): Promise<void> {
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(dir, 'r');
    await fh.sync();
  } catch (err) {
    if (!DIR_SYNC_UNSUPPORTED.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    await fh?.close();
  }
}

export interface AtomicWriteOptions {
  /** The temp file's path; default `<file>.<pid>.<random>.tmp` beside `file`. It must be in the same folder (rename cannot cross filesystems). */
  tmp?: string;
  /** Open the temp file with O_EXCL (default true); false for a temp name that a crashed earlier attempt may have left. */
  exclusive?: boolean;
  /** Permission bits for the new file (default: keep those of the file it replaces, else 0o666 minus umask). */
  mode?: number;
  /**
   * fsync the file before the rename and the folder after it (default true).
   * false only for records that mean nothing after a crash (a lock holder, a
   * running command's temp root): readers still see the old file or the new one.
   */
  durable?: boolean;
}

/**
 * Replaces `file` atomically: a reader sees the old content or the new, never
 * a torn write, and (durable) a crash at any point leaves one of the two.
 * On failure the temp file is removed and the error is thrown unchanged
 * (callers map ENOSPC and the like to their own codes).
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = path.dirname(file);
  const tmp = options.tmp ?? `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const durable = options.durable ?? true;
  try {
    let mode = options.mode;
    if (mode === undefined) {
      try {
        mode = (await fs.stat(file)).mode & 0o7777;
      } catch {
        mode = undefined;
      }
    }
    const fh = await fs.open(tmp, options.exclusive === false ? 'w' : 'wx', 0o666);
    try {
      await fh.writeFile(data);
      if (mode !== undefined) await fh.chmod(mode);
      if (durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  if (durable) await syncDir(dir);
}
