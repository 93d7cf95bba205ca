import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LockError, withLock } from '@swamp-store/lock';
import { gcLockPath } from './layout.js';
import { isProcessAlive, lstatOrUndefined, writeFileAtomic } from '@swamp-store/primitives';
import { ensureLayout, type Store } from './store.js';

/** A running command's claim on digests it is about to link, so gc leaves them be. */
export interface TempRootRecord {
  pid: number;
  host: string;
  startedAt: number;
  command: string;
  digests: string[];
}

/** Temp roots older than this are ignored even when their pid looks alive (pid reuse, other hosts). */
export const TEMP_ROOT_MAX_AGE_MS = 24 * 60 * 60 * 1000;

export interface Pins {
  readonly file: string;
  /** Adds digests (under the gc lock only while a gc runs): once this resolves, no gc can remove them until release. */
  add(sha256s: readonly string[]): Promise<void>;
  release(): Promise<void>;
}

/** Not durable: a temp root means nothing once its command is gone, and a crash ends the command. */
async function writeRecord(file: string, record: TempRootRecord): Promise<void> {
  const tmp = `${file}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  await writeFileAtomic(file, JSON.stringify(record), { tmp, durable: false });
}

/**
 * Starts a command's temp root. Content the command creates later is younger
 * than `startedAt` and younger than any gc already running, which gc never
 * deletes; content that already exists must be pinned with `add` before the
 * command checks that it exists.
 */
export async function beginPins(store: Store, command = process.argv.slice(1).join(' ')): Promise<Pins> {
  // Nobody can write a read-only store, so no gc can run in it: nothing to pin, and nothing to write.
  if (store.readOnly) return { file: '', add: async () => undefined, release: async () => undefined };
  await ensureLayout(store);
  const file = path.join(store.layout.tempRoots, `${os.hostname()}-${process.pid}-${crypto.randomBytes(4).toString('hex')}.json`);
  const record: TempRootRecord = { pid: process.pid, host: os.hostname(), startedAt: Date.now(), command: command.slice(0, 300), digests: [] };
  await writeRecord(file, record);
  let released = false;
  return {
    file,
    async add(sha256s) {
      const fresh = sha256s.filter((d) => !record.digests.includes(d));
      if (fresh.length === 0 || released) return;
      record.digests.push(...fresh);
      // Without a gc running, no lock is needed: write the pin, THEN look for the gc lock. A gc
      // that takes its lock after our look reads the temp roots after our write and sees the pin;
      // one that holds (or is taking) the lock when we look makes us write again under the lock
      // below. Either way gc saw the pin or is done before we check the tree. Saves every pull a
      // lock round trip (mkdir, holder, refresh timer, release) and stops a fleet of pulls from
      // queueing on one lock.
      await writeRecord(file, record);
      if (!(await gcLockPresent(store))) return;
      // Writing the record is idempotent, so a lock found compromised (a rare race among
      // waiters evicting a SIGKILLed holder) is simply taken again: once a write completes
      // under a lock that held, gc either saw the pin or finished before we look.
      for (let attempt = 1; ; attempt++) {
        try {
          await withLock(gcLockPath(store.layout), () => writeRecord(file, record));
          return;
        } catch (err) {
          if (!(err instanceof LockError && err.code === 'E_LOCK_COMPROMISED') || attempt >= 3) throw err;
        }
      }
    },
    async release() {
      released = true;
      await fs.rm(file, { force: true });
    },
  };
}

/** Anything at the gc lock's path (held, being taken, stale or dead): only its absence lets a pin skip the lock. */
async function gcLockPresent(store: Store): Promise<boolean> {
  return (await lstatOrUndefined(gcLockPath(store.layout))) !== undefined;
}

export interface TempRootEntry {
  file: string;
  record: TempRootRecord | undefined;
  alive: boolean;
}

export async function listTempRoots(store: Store): Promise<TempRootEntry[]> {
  let names: string[];
  try {
    names = await fs.readdir(store.layout.tempRoots);
  } catch {
    return [];
  }
  const out: TempRootEntry[] = [];
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    const file = path.join(store.layout.tempRoots, name);
    try {
      const record = JSON.parse(await fs.readFile(file, 'utf8')) as TempRootRecord;
      const fresh = Date.now() - record.startedAt < TEMP_ROOT_MAX_AGE_MS;
      out.push({ file, record, alive: fresh && isProcessAlive(record.pid, record.host) });
    } catch {
      out.push({ file, record: undefined, alive: false });
    }
  }
  return out;
}
