import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { joinSafe } from '@swamp-store/primitives';
import { treeDir, type StoreLayout } from './layout.js';
import { mapPool } from './pool.js';
import type { TreeFileRecord, TreeManifest } from './tree-manifest.js';

export type TreeProblemKind = 'missing' | 'modified';

/** Which part of the stat signature gave a tampered file away (for the warning a user reads). */
export type TreeProblemReason = 'missing' | 'not-a-file' | 'inode' | 'size' | 'mtime' | 'mode' | 'ctime';

export interface TreeProblem {
  path: string;
  problem: TreeProblemKind;
  reason?: TreeProblemReason;
}

/**
 * `trees/<sha>/.ctime-checked.json`: path -> the ctime at which the file was
 * last re-hashed and found intact. Only a cache: losing it costs one re-hash.
 */
export const CTIME_CHECKED = '.ctime-checked.json';

/**
 * Cheap tamper check before linking: one stat per file against the signature
 * recorded at publish. Content written through any hardlink changes the shared
 * inode's mtime (and size, and with Swamp's `Deno.copyFile` its mode); a
 * replaced file changes the inode number.
 *
 * ctime: a write whose mtime was put back afterwards (`cp -p`, `touch -r`,
 * `tar -x`) keeps size and mtime, but nobody can set ctime back. Every link()
 * or unlink() of the inode moves ctime as well, though, and worktrees link and
 * unlink store files all the time. So a changed ctime with an otherwise intact
 * signature is a reason to re-hash that one file: equal bytes mean only links
 * changed (the ctime is remembered in CTIME_CHECKED so the next check is a stat
 * again), other bytes mean it was written through. Reading the ctime BEFORE
 * hashing and keeping it only if unchanged AFTER makes a write during the hash
 * show up on the next check.
 *
 * Link activity is told from a write by the link count (see ctimeCleared): in a
 * fleet every worktree that links a tree moves the ctime of all its files, and
 * re-hashing a 10,000-file tree after each of them cost more than the link.
 */
export async function checkTreeFast(layout: StoreLayout, tree: TreeManifest): Promise<TreeProblem[]> {
  const root = treeDir(layout, tree.sha256);
  const checked = readCtimeRecord(layout, tree);
  const fresh: Record<string, CtimeCheck> = {};
  const problems: TreeProblem[] = [];
  const toHash: { f: TreeFileRecord; abs: string; st: fs.Stats }[] = [];
  // One synchronous lstat per file: for a 10,000-file tree, 10,000 thread-pool round trips
  // cost several times the stats themselves. Only the rare re-hash goes through a pool.
  for (const f of tree.files) {
    const abs = joinSafe(root, f.path); // validated when the manifest was read
    const st = lstatOrMissing(abs);
    const reason = signatureProblem(st, f, checked, fresh);
    if (reason === 'hash' && st) toHash.push({ f, abs, st });
    else if (reason && reason !== 'hash') problems.push({ path: f.path, problem: reason === 'missing' ? 'missing' : 'modified', reason });
  }
  await mapPool(toHash, 8, async ({ f, abs, st }) => {
    if (await rehashedIntact(abs, f, st, fresh)) return;
    problems.push({ path: f.path, problem: 'modified', reason: 'ctime' });
  });
  if (Object.keys(fresh).length > 0) writeCtimeChecked(root, tree, Object.assign(checked, fresh));
  return problems.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** As before this loop was synchronous: a file that cannot be stat'ed for any reason counts as missing (the tree is then repaired). */
function lstatOrMissing(abs: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(abs, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/**
 * After a command linked files of `tree`: records their new ctime and link count (the
 * "links" verdict of checkTreeFast), so that a later write through a link whose mtime
 * was put back (ctime moved, link count not) is told from this link and re-hashed.
 * Without it, the first check after a pull compared against the publish record (one
 * link) and took such a write for link activity. Best effort: a problem found here is
 * the next command's to repair.
 */
export async function recordLinks(layout: StoreLayout, tree: TreeManifest): Promise<void> {
  await checkTreeFast(layout, tree).catch(() => undefined);
}

/** What the stat alone says: a problem, nothing (`undefined`), or `hash` when only a re-hash can tell. */
function signatureProblem(st: fs.Stats | undefined, f: TreeFileRecord, checked: Record<string, CtimeCheck>, fresh: Record<string, CtimeCheck>): TreeProblemReason | 'hash' | undefined {
  if (!st) return 'missing';
  if (!st.isFile()) return 'not-a-file';
  if (st.ino !== f.ino) return 'inode';
  if (st.size !== f.size) return 'size';
  if (st.mtimeMs !== f.mtimeMs) return 'mtime';
  if ((st.mode & 0o7777) !== f.mode) return 'mode';
  const cleared = ctimeCleared(st, f, checked);
  if (cleared === 'same') return undefined;
  if (cleared === 'links') {
    fresh[f.path] = { c: st.ctimeMs, n: st.nlink };
    return undefined;
  }
  return 'hash';
}

/** Equal bytes: remembers the ctime read BEFORE hashing, if it still holds after (a write during the hash shows next time). */
async function rehashedIntact(abs: string, f: TreeFileRecord, st: fs.Stats, fresh: Record<string, CtimeCheck>): Promise<boolean> {
  const hash = await sha256File(abs).catch(() => undefined);
  if (hash !== f.sha256) return false;
  const after = await fsp.lstat(abs).catch(() => undefined);
  if (after && after.ctimeMs === st.ctimeMs) fresh[f.path] = { c: st.ctimeMs, n: after.nlink };
  return true;
}

/** What a tree file's ctime was last known to be, with its link count then (undefined: not known). */
export interface CtimeCheck {
  c: number;
  n?: number | undefined;
}

/**
 * Whether a file's ctime needs no re-hash: `same` when it is the one recorded at
 * publish or last found intact; `links` when it moved but so did the link count
 * since then (a link() or unlink() of the inode: worktrees linking the tree);
 * `hash` otherwise. A tree file is born with one link, so that is the count at
 * publish. What `links` lets through is a write whose mtime, size and mode were
 * all put back AND that coincided with a link change: `cache verify` re-hashes
 * every file and still finds it.
 */
export function ctimeCleared(st: fs.Stats, f: TreeFileRecord, checked: Record<string, CtimeCheck>): 'same' | 'links' | 'hash' {
  if (f.ctimeMs === undefined || st.ctimeMs === f.ctimeMs) return 'same';
  const last: CtimeCheck = checked[f.path] ?? { c: f.ctimeMs, n: 1 };
  if (st.ctimeMs === last.c) return 'same';
  return last.n !== undefined && st.nlink !== last.n ? 'links' : 'hash';
}

/**
 * The tree's CTIME_CHECKED record, by tree path. Written as two arrays in the order of the
 * tree's files (`{"v":2,"files":N,"c":[...],"n":[...]}`, null where nothing is known): a
 * 10,000-file tree's record keyed by path was 760 KB, and parsing and writing it twice per
 * pull cost more than the stats. Older stores wrote an object by path, with a `{c, n}` or a
 * bare ctime (link count unknown) per path; those are still read.
 */
export function parseCtimeChecked(text: string, files?: readonly { path: string }[]): Record<string, CtimeCheck> {
  const out: Record<string, CtimeCheck> = {};
  try {
    const doc = JSON.parse(text) as unknown;
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return out;
    const v2 = doc as { v?: unknown; files?: unknown; c?: unknown; n?: unknown };
    if (v2.v === 2) {
      if (!files || v2.files !== files.length || !Array.isArray(v2.c) || !Array.isArray(v2.n) || v2.c.length !== files.length || v2.n.length !== files.length) return out;
      const c = v2.c as unknown[];
      const n = v2.n as unknown[];
      files.forEach((f, i) => {
        const ci = c[i];
        const ni = n[i];
        if (typeof ci === 'number') out[f.path] = { c: ci, n: typeof ni === 'number' ? ni : undefined };
      });
      return out;
    }
    for (const [k, v] of Object.entries(doc)) {
      if (typeof v === 'number') out[k] = { c: v };
      else if (v && typeof v === 'object' && typeof (v as CtimeCheck).c === 'number') {
        const n = (v as CtimeCheck).n;
        out[k] = { c: (v as CtimeCheck).c, n: typeof n === 'number' ? n : undefined };
      }
    }
  } catch {
    // A torn or foreign file is only a lost cache: everything re-hashes once.
  }
  return out;
}

// Read and written synchronously, like the stat loop: a fleet install checks 100 trees at once,
// and 100 async reads and writes in flight per process thrashed the thread pool of 8 processes.
/** The tree's CTIME_CHECKED record by tree path; empty when absent or unreadable. */
export function readCtimeRecord(layout: StoreLayout, tree: Pick<TreeManifest, 'sha256' | 'files'>): Record<string, CtimeCheck> {
  let text: string;
  try {
    text = fs.readFileSync(path.join(treeDir(layout, tree.sha256), CTIME_CHECKED), 'utf8');
  } catch {
    return {};
  }
  return parseCtimeChecked(text, tree.files);
}

/** The record in its written form (see parseCtimeChecked). */
export function serializeCtimeChecked(files: readonly { path: string }[], record: Record<string, CtimeCheck>): string {
  const c: (number | null)[] = [];
  const n: (number | null)[] = [];
  for (const f of files) {
    const r = record[f.path];
    c.push(r ? r.c : null);
    n.push(r?.n ?? null);
  }
  return JSON.stringify({ v: 2, files: files.length, c, n });
}

/** Best effort (temp + rename): a read-only store, or a tree moved aside meanwhile, just keeps re-hashing. */
function writeCtimeChecked(root: string, tree: TreeManifest, record: Record<string, CtimeCheck>): void {
  const file = path.join(root, CTIME_CHECKED);
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`;
  try {
    fs.writeFileSync(tmp, serializeCtimeChecked(tree.files, record));
    fs.renameSync(tmp, file);
  } catch {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // a store we cannot write: there was no temp file to begin with
    }
  }
}

/** Up to this size a file is hashed from one synchronous read; larger ones stream. */
const ONE_READ_BYTES = 4 * 1024 * 1024;

/**
 * Hex sha256 of a file. Most files hashed here are archives and extension
 * files of a few KiB: one open/fstat/read/close on this thread, where a read
 * stream costs several thread-pool round trips (a 100-ref pull hashes 100 archives).
 */
export async function sha256File(abs: string): Promise<string> {
  const fd = fs.openSync(abs, 'r');
  let small: Buffer | undefined;
  try {
    const size = fs.fstatSync(fd).size;
    if (size <= ONE_READ_BYTES) small = fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  if (small) return crypto.createHash('sha256').update(small).digest('hex');
  // 4 MiB reads: a 10 MiB archive in 3 thread-pool round trips, where a read stream's 64 KiB
  // chunks took 160 of them plus the stream machinery (40 ms of a warm pull of such an archive).
  const hash = crypto.createHash('sha256');
  const handle = await fsp.open(abs, 'r');
  try {
    const buf = Buffer.allocUnsafe(ONE_READ_BYTES);
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

/** Full check for `cache verify`: re-hash every file. */
export async function verifyTreeFull(layout: StoreLayout, tree: TreeManifest): Promise<TreeProblem[]> {
  const root = treeDir(layout, tree.sha256);
  const problems: TreeProblem[] = [];
  await mapPool(tree.files, 8, async (f) => {
    const abs = path.join(root, f.path);
    try {
      const st = await fsp.lstat(abs);
      // The mode too: Swamp's copy through a link leaves the bytes of an unchanged file but makes it 0644, writable for every worktree.
      if (!st.isFile() || st.size !== f.size || (st.mode & 0o7777) !== f.mode || (await sha256File(abs)) !== f.sha256) problems.push({ path: f.path, problem: 'modified' });
    } catch {
      problems.push({ path: f.path, problem: 'missing' });
    }
  });
  return problems.sort((a, b) => (a.path < b.path ? -1 : 1));
}
