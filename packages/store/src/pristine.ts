import fsp from 'node:fs/promises';
import { treeDir } from './layout.js';
import { ensureTree, type EnsureTreeOptions, type EnsureTreeResult } from './publish.js';
import { moveAside } from './quarantine.js';
import type { Store } from './store.js';
import { checkTreeFast, type TreeProblem } from './tree-check.js';
import type { TreeManifest } from './tree-manifest.js';

/** A tree that was replaced because files of it were written through a link. */
export interface ReplacedTree {
  sha256: string;
  /** The record of the replaced tree: its inode numbers say which worktree files still share the written inodes. */
  previous: TreeManifest;
  /** Where the replaced tree went (under the store's quarantine), or undefined when another process moved it first. */
  quarantined: string | undefined;
  problems: TreeProblem[];
}

export interface PristineTreeResult extends EnsureTreeResult {
  /** Files found tampered with; the tree was quarantined and re-extracted from its archive. */
  repaired: TreeProblem[];
  /** Set when this call replaced the tree: worktrees linking the old inodes are to be re-linked. */
  replaced?: ReplacedTree;
}

/**
 * The tree, checked by stat signature before anyone links it. Someone who
 * wrote through a hardlink has changed the store's copy for every worktree; we
 * move that tree aside and unpack a fresh one from the archive (whose bytes
 * cacache re-verifies), so the next worktree gets pristine content.
 */
export async function ensurePristineTree(store: Store, sha256: string, options: EnsureTreeOptions = {}): Promise<PristineTreeResult> {
  const first = await ensureTree(store, sha256, options);
  const problems = await checkTreeFast(store.layout, first.tree);
  if (problems.length === 0) return { ...first, repaired: [] };
  const quarantined = await moveAside(store, sha256, 'tampered');
  const fresh = await ensureTree(store, sha256, options);
  return { ...fresh, repaired: problems, replaced: { sha256, previous: first.tree, quarantined, problems } };
}

/** Records that a tree was just used, for gc's grace period: one utimes on the tree folder. */
export async function touchTree(store: Store, sha256: string): Promise<void> {
  if (store.readOnly) return;
  const now = new Date();
  await fsp.utimes(treeDir(store.layout, sha256), now, now).catch(() => undefined);
}
