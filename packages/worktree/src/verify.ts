import path from 'node:path';
import { lstatOrUndefined } from '@swamp-store/primitives';
import { checkTreeFast, fileRecordsByPath, sha256File, type Store } from '@swamp-store/store';
import { readLockfile } from './lockfile.js';
import { knownEntries, untrackedFiles, type KnownEntry } from './managed-files.js';
import { extensionDir } from './placement.js';
import { recoverIfNeeded } from './recover.js';
import type { RepoContext } from './repo.js';
import { isStoreInode, storeDevice } from './store-inode.js';

export type VerifyProblemKind = 'missing' | 'modified' | 'untracked' | 'not-in-store';

export interface VerifyProblem {
  name: string | null;
  path: string;
  problem: VerifyProblemKind;
}

/**
 * Lockfile vs disk vs store. A file that still shares the store file's inode
 * is as good as the tree, unless the tree itself was written through (its stat
 * signature changed); any other file is re-hashed. Bundles are only checked
 * for presence: Swamp's loader rewrites them in place by design.
 */
export async function verifyWorktree(repo: RepoContext, store: Store): Promise<VerifyProblem[]> {
  await recoverIfNeeded(repo);
  const { entries } = await readLockfile(repo.lockfilePath);
  const known = knownEntries(repo, store, entries);
  const problems: VerifyProblem[] = [];
  for (const k of known) problems.push(...(await verifyEntry(repo, store, k)));
  for (const f of untrackedFiles(repo, known)) problems.push({ name: null, path: f, problem: 'untracked' });
  return problems;
}

async function verifyEntry(repo: RepoContext, store: Store, k: KnownEntry): Promise<VerifyProblem[]> {
  const problems: VerifyProblem[] = [];
  if (!k.tree || !k.placement) {
    problems.push({ name: k.name, path: extensionDir(k.name), problem: 'not-in-store' });
    for (const f of k.entry.files) {
      if (!(await lstatOrUndefined(path.join(repo.repoDir, f)))) problems.push({ name: k.name, path: f, problem: 'missing' });
    }
    return problems;
  }
  const tampered = new Set((await checkTreeFast(store.layout, k.tree)).map((p) => p.path));
  const storeDev = storeDevice(store);
  const records = fileRecordsByPath(k.tree);
  for (const e of k.placement.entries) {
    const rec = records.get(e.treePath);
    const st = await lstatOrUndefined(path.join(repo.repoDir, e.target));
    if (!st || !rec) {
      problems.push({ name: k.name, path: e.target, problem: 'missing' });
      continue;
    }
    if (e.kind === 'bundle') continue;
    if (!st.isFile()) {
      problems.push({ name: k.name, path: e.target, problem: 'modified' });
      continue;
    }
    if (isStoreInode(st, rec, storeDev) && !tampered.has(e.treePath)) continue;
    if (st.size !== rec.size || (await sha256File(path.join(repo.repoDir, e.target))) !== rec.sha256) {
      problems.push({ name: k.name, path: e.target, problem: 'modified' });
    }
  }
  return problems;
}
