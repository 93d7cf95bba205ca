import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { treeDir, type StoreLayout } from './layout.js';
import { mapPool } from './pool.js';
import type { TreeFileRecord, TreeManifest } from './tree-manifest.js';

export type TreeProblemKind = 'missing' | 'modified';

export interface TreeProblem {
  path: string;
  problem: TreeProblemKind;
}

/**
 * Cheap tamper check before linking: one stat per file against the signature
 * recorded at publish. Content written through any hardlink changes the shared
 * inode's size or mtime; a replaced file changes the inode number.
 */
export async function checkTreeFast(layout: StoreLayout, tree: TreeManifest): Promise<TreeProblem[]> {
  const root = treeDir(layout, tree.sha256);
  const problems: TreeProblem[] = [];
  await mapPool(tree.files, 64, async (f) => {
    const problem = await statProblem(path.join(root, f.path), f);
    if (problem) problems.push({ path: f.path, problem });
  });
  return problems;
}

async function statProblem(abs: string, f: TreeFileRecord): Promise<TreeProblemKind | undefined> {
  let st: fs.Stats;
  try {
    st = await fsp.lstat(abs);
  } catch {
    return 'missing';
  }
  if (!st.isFile() || st.ino !== f.ino || st.size !== f.size || st.mtimeMs !== f.mtimeMs || (st.mode & 0o7777) !== f.mode) {
    return 'modified';
  }
  return undefined;
}

export async function sha256File(abs: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  await pipeline(fs.createReadStream(abs), hash);
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
      if (!st.isFile() || st.size !== f.size || (await sha256File(abs)) !== f.sha256) problems.push({ path: f.path, problem: 'modified' });
    } catch {
      problems.push({ path: f.path, problem: 'missing' });
    }
  });
  return problems.sort((a, b) => (a.path < b.path ? -1 : 1));
}
