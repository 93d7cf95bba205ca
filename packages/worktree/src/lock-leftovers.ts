import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isLocked } from '@swamp-store/lock';
import { isProcessAlive } from '@swamp-store/primitives';
import type { RepoContext } from './repo.js';

/** The lock Swamp's own writer also takes (it creates this path exclusively), so the two exclude each other. */
export function lockfileLockPath(repo: RepoContext): string {
  return `${repo.lockfilePath}.lock`;
}

/**
 * A SIGKILLed swamp-store leaves its lock directory behind. Our own waiters
 * take it over at once (its holder is dead), but Swamp's writer, which must
 * create that same path, fails until someone does.
 */
export async function hasDeadLock(repo: RepoContext): Promise<boolean> {
  const lockPath = lockfileLockPath(repo);
  const st = await fs.lstat(lockPath).catch(() => undefined);
  return !!st?.isDirectory() && !(await isLocked(lockPath));
}

/**
 * The lock package evicts a dead holder by renaming its lock to
 * `<lock>.evicting-<pid>-<hex>` and then removing that; a waiter killed in
 * between leaves it beside the committed lockfile, where `git status` shows
 * it. Those whose evicting process is gone, as absolute paths.
 */
export async function deadEvictionTombs(repo: RepoContext): Promise<string[]> {
  const lockPath = lockfileLockPath(repo);
  const prefix = `${path.basename(lockPath)}.evicting-`;
  const names = await fs.readdir(path.dirname(lockPath)).catch(() => [] as string[]);
  return names
    .filter((n) => n.startsWith(prefix))
    .filter((n) => {
      const pid = Number(n.slice(prefix.length).split('-')[0]);
      return Number.isInteger(pid) && pid > 0 && !isProcessAlive(pid, os.hostname());
    })
    .map((n) => path.join(path.dirname(lockPath), n));
}
