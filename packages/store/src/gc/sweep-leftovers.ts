import fs from 'node:fs/promises';
import path from 'node:path';
import type { Store } from '../store.js';
import { diskUsage, readdirOrEmpty } from './disk-usage.js';
import { LEFTOVER_MAX_AGE_MS, isAbandoned, type LeftoverKind } from './leftover-owner.js';

export interface LeftoverSweep {
  /** Absolute paths removed (or, in a dry run, that would be). */
  paths: string[];
  bytes: number;
}

async function mtimeOf(p: string): Promise<number | undefined> {
  try {
    return (await fs.lstat(p)).mtimeMs;
  } catch {
    return undefined;
  }
}

/** What no process can still be writing: staging of dead owners, day-old records, and the whole quarantine. */
async function findLeftovers(store: Store, now: number): Promise<string[]> {
  const { layout } = store;
  const found: string[] = [];
  const byOwner = async (dir: string, kind: LeftoverKind, only?: (name: string) => boolean) => {
    for (const name of await readdirOrEmpty(dir)) {
      if (only && !only(name)) continue;
      const abs = path.join(dir, name);
      const mtime = await mtimeOf(abs);
      if (mtime !== undefined && isAbandoned(kind, name, mtime, now)) found.push(abs);
    }
  };
  await byOwner(layout.tmp, 'staging');
  await byOwner(path.join(layout.cas, 'tmp'), 'cas-tmp');
  await byOwner(layout.tempRoots, 'temp-root-tmp', (n) => n.endsWith('.tmp'));
  // Root records are written by rename from `<id>.json.<rand>.tmp`; a crash leaves the temp file.
  for (const name of await readdirOrEmpty(layout.roots)) {
    if (!name.endsWith('.tmp')) continue;
    const abs = path.join(layout.roots, name);
    const mtime = await mtimeOf(abs);
    if (mtime !== undefined && now - mtime > LEFTOVER_MAX_AGE_MS) found.push(abs);
  }
  // Quarantined trees are kept only so a human can look at them until the next gc: nothing reads them.
  for (const name of await readdirOrEmpty(layout.quarantine)) found.push(path.join(layout.quarantine, name));
  return found;
}

export async function sweepLeftovers(store: Store, opts: { dryRun: boolean; now?: number }): Promise<LeftoverSweep> {
  const paths = await findLeftovers(store, opts.now ?? Date.now());
  let bytes = 0;
  for (const p of paths) {
    bytes += await diskUsage(p);
    if (!opts.dryRun) await removeWritable(p);
  }
  return { paths, bytes };
}

/**
 * `rm -rf` that also copes with read-only trees: store files are 0444 and
 * their folders may have been made read-only by a tamperer; unlinking needs
 * the folder writable, not the file.
 */
export async function removeWritable(p: string): Promise<void> {
  try {
    await fs.rm(p, { recursive: true, force: true });
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw err;
  }
  await makeDirsWritable(p);
  await fs.rm(p, { recursive: true, force: true });
}

async function makeDirsWritable(p: string): Promise<void> {
  let st;
  try {
    st = await fs.lstat(p);
  } catch {
    return;
  }
  if (!st.isDirectory()) return;
  await fs.chmod(p, 0o755).catch(() => undefined);
  for (const name of await readdirOrEmpty(p)) await makeDirsWritable(path.join(p, name));
}
