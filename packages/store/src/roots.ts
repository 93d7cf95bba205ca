import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '@swamp-store/primitives';
import { ensureLayout, type Store } from './store.js';

/** A worktree that links from this store; gc reads its lockfile and disk to find live trees. */
export interface RootRecord {
  repoDir: string;
  lockfilePath: string;
  registeredAt: string;
}

function rootFile(store: Store, repoDir: string): string {
  const id = crypto.createHash('sha256').update(repoDir).digest('hex').slice(0, 32);
  return path.join(store.layout.roots, `${id}.json`);
}

/** Idempotent and cheap on the hot path: one stat when the record is already there. */
export async function registerRoot(store: Store, root: { repoDir: string; lockfilePath: string }): Promise<void> {
  // gc cannot run in a read-only store, so it needs no record of who links from it.
  if (store.readOnly) return;
  await ensureLayout(store);
  const file = rootFile(store, root.repoDir);
  try {
    const existing = JSON.parse(await fs.readFile(file, 'utf8')) as RootRecord;
    if (existing.repoDir === root.repoDir && existing.lockfilePath === root.lockfilePath) return;
  } catch {
    // absent or unreadable: (re)write it
  }
  const record: RootRecord = { ...root, registeredAt: new Date().toISOString() };
  // Durable: gc must not forget a worktree that links from the store after a power loss.
  const tmp = `${file}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  await writeFileAtomic(file, JSON.stringify(record), { tmp });
}

export interface RootEntry {
  file: string;
  record: RootRecord;
}

export async function listRoots(store: Store): Promise<RootEntry[]> {
  let names: string[];
  try {
    names = await fs.readdir(store.layout.roots);
  } catch {
    return [];
  }
  const out: RootEntry[] = [];
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const file = path.join(store.layout.roots, name);
    try {
      const record = JSON.parse(await fs.readFile(file, 'utf8')) as RootRecord;
      if (typeof record.repoDir === 'string' && typeof record.lockfilePath === 'string') out.push({ file, record });
    } catch {
      // a half-written or foreign file is not a root
    }
  }
  return out;
}

export async function dropRoot(entry: RootEntry): Promise<void> {
  await fs.rm(entry.file, { force: true });
}
