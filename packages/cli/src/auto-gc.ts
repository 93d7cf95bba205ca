import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Store } from '@swamp-store/store';
import { autoGcEnabled } from './auto-gc-env.js';

export { autoGcEnabled } from './auto-gc-env.js';

/**
 * Automatic gc, like Cargo's: off by default; `SWAMP_STORE_AUTO_GC=1` turns it
 * on. After a successful pull, at most once a day and only when no gc holds
 * the lock, a DETACHED `swamp-store cache gc --yes --json` starts with its
 * output discarded: the pull has already printed its result and exits at once.
 */
export const AUTO_GC_INTERVAL_MS = 24 * 60 * 60 * 1000;
/** In `state/`: its mtime is when the last automatic gc started. */
export const AUTO_GC_STAMP = 'last-auto-gc';

async function startedRecently(stamp: string, now: number): Promise<boolean> {
  try {
    return now - (await fs.stat(stamp)).mtimeMs < AUTO_GC_INTERVAL_MS;
  } catch {
    return false;
  }
}

/**
 * Returns true when it started a gc. Never throws: a pull must not fail because housekeeping could not start.
 * The gc is this CLI again: it inherits the environment whole (`env`) and reads its own settings from it.
 */
export async function maybeStartAutoGc(store: Store, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (!autoGcEnabled()) return false;
  try {
    const { ensureLayout, gcLockPath } = await import('@swamp-store/store');
    const { isLocked, tryLock } = await import('@swamp-store/lock');
    const stamp = path.join(store.layout.state, AUTO_GC_STAMP);
    if (await startedRecently(stamp, Date.now())) return false;
    if (await isLocked(gcLockPath(store.layout))) return false;
    await ensureLayout(store);
    // Many agents finish pulls at once: one claim, re-checked under a lock, lets exactly one of them start the gc.
    const claim = await tryLock(path.join(store.layout.locks, 'auto-gc'), async () => {
      if (await startedRecently(stamp, Date.now())) return false;
      await fs.writeFile(stamp, `${new Date().toISOString()}\n`);
      return true;
    });
    if (!claim.acquired || !claim.value) return false;
    const bin = fileURLToPath(new URL('../bin/swamp-store.js', import.meta.url));
    const child = spawn(process.execPath, [bin, 'cache', 'gc', '--yes', '--json'], {
      detached: true,
      stdio: 'ignore',
      env: { ...env, SWAMP_STORE_DIR: store.layout.root },
    });
    child.on('error', () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}
