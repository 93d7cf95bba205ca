import type { Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseSha256Hex } from '@swamp-store/primitives';
import { readJournal } from './journal.js';
import { readLockfile } from './lockfile.js';

/** What the store's gc knows about a worktree (its root record). */
export interface GcRoot {
  repoDir: string;
  lockfilePath: string;
}


/**
 * The digests a worktree needs from the store, for `cache gc`: every lockfile
 * entry's checksum, plus those an interrupted transaction's journal will write
 * into the lockfile when the next command rolls it forward.
 *
 * `gone` only when the folder itself no longer exists. A lockfile that cannot
 * be read or parsed THROWS: the worktree may need any tree, and gc answers
 * "cannot tell" by removing no tree or archive at all and saying why, rather
 * than guessing from a damaged file.
 */
export async function liveDigestsOf(root: GcRoot): Promise<Set<string> | 'gone'> {
  try {
    if (!(await fs.stat(root.repoDir)).isDirectory()) return 'gone';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'gone';
    throw err;
  }
  const digests = new Set<string>();
  const { entries } = await readLockfile(root.lockfilePath);
  for (const e of Object.values(entries)) if (e.checksum) digests.add(e.checksum); // lower case: readLockfile normalises it
  const journal = await readJournal(root.repoDir);
  for (const change of journal?.changes ?? []) {
    const sum = change.entry?.checksum;
    const hex = parseSha256Hex(sum);
    if (hex) digests.add(hex);
  }
  return digests;
}

async function collect(abs: string, out: Set<string>): Promise<void> {
  let st;
  try {
    st = await fs.lstat(abs);
  } catch {
    return;
  }
  if (st.isFile()) {
    out.add(abs);
    return;
  }
  if (!st.isDirectory()) return; // symlinks are never followed: they could point anywhere
  let items: Dirent[];
  try {
    items = await fs.readdir(abs, { withFileTypes: true });
  } catch {
    return;
  }
  for (const item of items) await collect(path.join(abs, item.name), out);
}

/**
 * Absolute paths of the files the lockfile says are materialised in this
 * worktree (skill folders walked), for `cache ls` physical bytes and gc's
 * on-disk check. Lockfile paths are validated to stay inside the extension's
 * own areas when the lockfile is read, so nothing else is ever walked.
 */
export async function materializedFiles(root: GcRoot): Promise<string[]> {
  const { entries } = await readLockfile(root.lockfilePath);
  const out = new Set<string>();
  for (const e of Object.values(entries)) {
    for (const rel of e.files) await collect(path.join(root.repoDir, ...rel.split('/')), out);
  }
  return [...out].sort();
}
