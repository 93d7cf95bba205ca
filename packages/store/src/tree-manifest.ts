import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
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
  if (!p || p.startsWith('/') || /^[A-Za-z]:/.test(p) || p.includes('\\') || p.includes('\0')) return false;
  return p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
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

/** The tree's manifest, or undefined when the tree does not exist (or its record is unreadable). */
export async function readTreeManifest(layout: StoreLayout, sha256: string): Promise<TreeManifest | undefined> {
  let text: string;
  try {
    text = await fs.readFile(treeManifestPath(layout, sha256), 'utf8');
  } catch {
    return undefined;
  }
  return parseTreeManifest(text, sha256);
}

/**
 * The same, read synchronously, for loops over many trees (a no-op install of
 * 400 extensions reads 400 of them), where a thread-pool round trip each cost
 * more than the read.
 */
export function readTreeManifestSync(layout: StoreLayout, sha256: string): TreeManifest | undefined {
  let text: string;
  try {
    text = readFileSync(treeManifestPath(layout, sha256), 'utf8');
  } catch {
    return undefined;
  }
  return parseTreeManifest(text, sha256);
}

function parseTreeManifest(text: string, sha256: string): TreeManifest | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return isTreeManifest(parsed, sha256) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

