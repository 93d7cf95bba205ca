import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { isSha256Hex, writeFileAtomic } from '@swamp-store/primitives';
import { downloadLockPath, type Store } from '@swamp-store/store';

/**
 * When the registry publishes no checksum, the store cannot tell whether bytes
 * it already holds for name@version are what the registry serves now, so a
 * pull downloads again. But a download that another process FINISHED AFTER
 * this pull began is as fresh as the one this pull would make: reusing it is
 * what lets N agents pulling an unverified version at once download it once.
 * This note, written under the download lock, records when that was.
 */
interface RecentDownload {
  sha256: string;
  finishedAt: number;
}

function notePath(store: Store, key: string): string {
  return path.join(store.layout.state, 'downloads', `${path.basename(downloadLockPath(store.layout, key))}.json`);
}

/**
 * The sha256 of a download of `key` finished after `since`, if any. Strictly
 * after: clocks tick in milliseconds, and a pull that begins in the very
 * millisecond an earlier pull's download finished is not concurrent with it
 * (it must download again); the cost of the strict test is at most one extra
 * download for a truly concurrent pull that began in that millisecond.
 */
export async function recentDownload(store: Store, key: string, since: number): Promise<string | undefined> {
  let note: Partial<RecentDownload>;
  try {
    note = JSON.parse(await fs.readFile(notePath(store, key), 'utf8')) as Partial<RecentDownload>;
  } catch {
    return undefined;
  }
  if (typeof note.sha256 !== 'string' || !isSha256Hex(note.sha256) || typeof note.finishedAt !== 'number') return undefined;
  return note.finishedAt > since ? note.sha256 : undefined;
}

/** Records a finished download; atomic so a reader never sees half a note, not durable because it is only a hint. */
export async function noteDownload(store: Store, key: string, sha256: string): Promise<void> {
  const file = notePath(store, key);
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const note: RecentDownload = { sha256, finishedAt: Date.now() };
  await writeFileAtomic(file, JSON.stringify(note), { tmp, durable: false });
}
