// Through the module object, not named imports: the store's race tests hook fs.statSync here.
import fs from 'node:fs';
import path from 'node:path';
import { treeDir, type StoreLayout } from './layout.js';

/** One file of an unpacked tree, as recorded at publish. */
export interface TreeFileRecord {
  /** Relative to the tree root, forward slashes: `ext/...`, `bundles/<kind>/...`, `skills/<skill>/...`. */
  path: string;
  size: number;
  /** Permission bits (0444, or 0555 for declared binaries). */
  mode: number;
  sha256: string;
  /**
   * Stat signature taken after publish. A write through any hardlink changes the
   * shared inode's mtime (and usually size); Swamp's `Deno.copyFile` also chmods
   * it to 0644, which the mode catches.
   */
  ino: number;
  mtimeMs: number;
  /**
   * ctime at publish (absent in trees published before it was recorded). ctime
   * cannot be set from user space, so it also catches a write whose mtime was
   * put back (`cp -p`, `touch -r`, `tar -x`, `rsync -t`). But link() and unlink()
   * change it too, so a ctime change alone is a reason to re-hash the file, never
   * a verdict: see tree-check.ts.
   */
  ctimeMs?: number;
}

/** `.tree.json`: the record that makes a tree exist. */
export interface TreeManifest {
  formatVersion: 1;
  sha256: string;
  name: string;
  version: string;
  dependencies: string[];
  binaries: string[];
  include: string[];
  /** Every directory of the tree (relative), including empty ones Swamp always creates. */
  dirs: string[];
  files: TreeFileRecord[];
  publishedAt: string;
}

export const TREE_MANIFEST = '.tree.json';

export function treeManifestPath(layout: StoreLayout, sha256: string): string {
  return path.join(treeDir(layout, sha256), TREE_MANIFEST);
}

/**
 * A relative path we may join onto a tree or worktree: no absolute or drive
 * path, no `.`/`..`/empty segment, no backslash (a separator on Windows, so a
 * way around the `..` check) and no NUL. The worktree's placement uses it too.
 */
export function isSafeRelativePath(p: string): boolean {
  // One pass over the code units, no regex or split: every path of every tree goes through
  // here at least twice per command (manifest check, placement), 20,000 calls for a 10,000-file tree.
  const n = p.length;
  if (n === 0) return false;
  if (n >= 2 && p.charCodeAt(1) === COLON && isAsciiLetter(p.charCodeAt(0))) return false;
  let segStart = 0;
  for (let i = 0; i <= n; i++) {
    const c = i === n ? SLASH : p.charCodeAt(i);
    if (c === BACKSLASH || c === 0) return false;
    if (c !== SLASH) continue;
    const len = i - segStart;
    // Empty (also a leading or doubled '/'), '.' or '..'.
    if (len === 0 || (p.charCodeAt(segStart) === DOT && (len === 1 || (len === 2 && p.charCodeAt(segStart + 1) === DOT)))) return false;
    segStart = i + 1;
  }
  return true;
}

const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const DOT = 0x2e;

function isAsciiLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function isTreeManifest(v: unknown, sha256: string): v is TreeManifest {
  const m = v as TreeManifest;
  return (
    !!m &&
    m.formatVersion === 1 &&
    m.sha256 === sha256 &&
    typeof m.name === 'string' &&
    typeof m.version === 'string' &&
    Array.isArray(m.files) &&
    Array.isArray(m.dirs) &&
    m.files.every((f) => f && isSafeRelativePath(f.path) && typeof f.size === 'number' && typeof f.sha256 === 'string') &&
    m.dirs.every((d) => typeof d === 'string' && isSafeRelativePath(d))
  );
}

/**
 * Parsed manifests by file, each valid while the file keeps its inode, size and mtime: a
 * `.tree.json` is written once, by rename, when its tree is published, and a repaired tree
 * gets a new one. One command reads a tree's manifest several times (resolve, fast path,
 * check, plan), and a 10,000-file one takes 25 ms to parse. Shared: callers never mutate it.
 */
const parsed = new Map<string, { sig: string; tree: TreeManifest }>();

/**
 * Who a tree's `.tree.json` is: inode, size and mtime. Written once by rename at publish, so
 * the same signature means the same manifest; a repaired tree gets a new one. undefined: no tree.
 */
export function treeManifestSignature(layout: StoreLayout, sha256: string): string | undefined {
  return signatureOf(treeManifestPath(layout, sha256));
}

function signatureOf(file: string): string | undefined {
  try {
    const st = fs.statSync(file);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
}

function cached(file: string, sha256: string): TreeManifest | undefined {
  // stat first (not open + fstat): a hit then costs one syscall, and the store's race tests
  // hook fs.statSync to make the first look at a manifest miss.
  const sig = signatureOf(file);
  if (sig === undefined) {
    parsed.delete(file);
    return undefined;
  }
  const hit = parsed.get(file);
  if (hit && hit.sig === sig) return hit.tree;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const tree = parseTreeManifest(text, sha256);
  if (tree) parsed.set(file, { sig, tree });
  return tree;
}

/** The tree's manifest, or undefined when the tree does not exist (or its record is unreadable). */
export async function readTreeManifest(layout: StoreLayout, sha256: string): Promise<TreeManifest | undefined> {
  return readTreeManifestSync(layout, sha256);
}

/**
 * The same, read synchronously, for loops over many trees (a no-op install of
 * 400 extensions reads 400 of them), where a thread-pool round trip each cost
 * more than the read.
 */
export function readTreeManifestSync(layout: StoreLayout, sha256: string): TreeManifest | undefined {
  const file = treeManifestPath(layout, sha256);
  return cached(file, sha256);
}

/**
 * A tree's file records by path: every planner and checker looks records up by the tree
 * path of a placement entry. Kept per (shared, never mutated) file list.
 */
export function fileRecordsByPath(tree: Pick<TreeManifest, 'files'>): ReadonlyMap<string, TreeFileRecord> {
  let records = recordsByFiles.get(tree.files);
  if (!records) recordsByFiles.set(tree.files, (records = new Map(tree.files.map((f) => [f.path, f]))));
  return records;
}
const recordsByFiles = new WeakMap<readonly TreeFileRecord[], ReadonlyMap<string, TreeFileRecord>>();

function parseTreeManifest(text: string, sha256: string): TreeManifest | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return isTreeManifest(parsed, sha256) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

