import { randomBytes } from 'node:crypto';
import { constants, closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { ownProcessStart, writeFileAtomic } from '@swamp-store/primitives';

/** Who holds a lock; written inside the lock directory right after it is created. */
export interface HolderInfo {
  pid: number;
  hostname: string;
  /** `process.argv` joined with spaces, truncated. */
  command: string;
  /** ISO time at which the lock was taken. */
  acquiredAt: string;
  /** Kernel start time of `pid` (Linux), so a later process that reuses the pid is not taken for the holder. */
  processStart?: string;
  /** Random id of this one acquisition: tells it from a later lock at the same path. */
  token: string;
}

export const HOLDER_FILE = 'holder.json';
const MAX_COMMAND_CHARS = 300;
const MAX_HOLDER_BYTES = 16 * 1024;
// O_NONBLOCK keeps a FIFO planted at the holder path from hanging us; O_NOFOLLOW refuses symlinks.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

export function createHolder(): HolderInfo {
  const command = process.argv.join(' ');
  const processStart = ownProcessStart();
  return {
    pid: process.pid,
    hostname: hostname(),
    command: command.length > MAX_COMMAND_CHARS ? `${command.slice(0, MAX_COMMAND_CHARS - 3)}...` : command,
    acquiredAt: new Date().toISOString(),
    ...(processStart ? { processStart } : {}),
    token: randomBytes(12).toString('hex'),
  };
}

/**
 * Writes the holder into a lock directory we just created. Atomic so that a
 * reader never sees half a file; it happens before proper-lockfile records the
 * directory's mtime, so the write does not look like someone else touching the lock.
 * Not durable: after a crash the holder's process is gone and staleness decides.
 */
export async function writeHolder(lockDir: string, holder: HolderInfo): Promise<void> {
  const tmp = path.join(lockDir, `${HOLDER_FILE}.tmp`);
  await writeFileAtomic(path.join(lockDir, HOLDER_FILE), `${JSON.stringify(holder)}\n`, { tmp, durable: false });
}

/** The holder of the lock at `lockPath`, or undefined when it is free, held by Swamp's plain lock file, or unreadable. */
export async function readHolder(lockPath: string): Promise<HolderInfo | undefined> {
  let handle;
  try {
    handle = await open(path.join(lockPath, HOLDER_FILE), OPEN_FLAGS);
  } catch {
    return undefined;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile() || stat.size > MAX_HOLDER_BYTES) return undefined;
    const buffer = Buffer.alloc(MAX_HOLDER_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, MAX_HOLDER_BYTES, 0);
    return parseHolder(buffer.subarray(0, bytesRead).toString('utf8'));
  } catch {
    return undefined;
  } finally {
    await handle.close().catch(() => {});
  }
}

/** Synchronous twin of readHolder for the process-exit handler, where nothing async runs. */
export function readHolderSync(lockPath: string): HolderInfo | undefined {
  let fd: number;
  try {
    fd = openSync(path.join(lockPath, HOLDER_FILE), OPEN_FLAGS);
  } catch {
    return undefined;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.size > MAX_HOLDER_BYTES) return undefined;
    const buffer = Buffer.alloc(MAX_HOLDER_BYTES);
    const bytesRead = readSync(fd, buffer, 0, MAX_HOLDER_BYTES, 0);
    return parseHolder(buffer.subarray(0, bytesRead).toString('utf8'));
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Lock directories are shared with any process that can write the folder: trust nothing in them. */
export function parseHolder(text: string): HolderInfo | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const { pid, hostname: host, command, acquiredAt, processStart, token } = v;
  // pid <= 0 would make process.kill address a process group.
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
  if (!isShortString(host, 256) || !isShortString(command, 4096) || !isShortString(token, 128)) return undefined;
  if (!isShortString(acquiredAt, 64) || Number.isNaN(Date.parse(acquiredAt))) return undefined;
  if (processStart !== undefined && !isShortString(processStart, 64)) return undefined;
  return {
    pid,
    hostname: host,
    command,
    acquiredAt,
    ...(processStart !== undefined ? { processStart } : {}),
    token,
  };
}

function isShortString(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length <= max;
}

/** One line naming the holder for humans: pid, host, command, since when. Control characters are stripped. */
export function describeHolder(holder: HolderInfo | undefined): string {
  if (!holder) return 'an unknown process';
  return `pid ${holder.pid} on ${printable(holder.hostname)} (${printable(holder.command)}) since ${printable(holder.acquiredAt)}`;
}

function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}
