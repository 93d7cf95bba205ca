import type * as WorktreePkg from '@swamp-store/worktree';
import type { RepoContext, StoreRepairReport } from '@swamp-store/worktree';
import type { Store } from '@swamp-store/store';
import { plural } from './format.js';
import type { Output } from './output.js';

type Worktree = typeof WorktreePkg;

/** One warning per store repair, whichever step of the command found it (see docs/swamp-writes-into-linked-worktree.md). */
export function describeRepair(r: StoreRepairReport): string {
  const files = r.files.map((f) => `${f.path}${f.reason ? ` (${f.reason} changed)` : ''}`).join(', ');
  const parts = [`${r.name}@${r.version}: the store's copy of ${files} was written through a hardlink (Swamp writes into linked worktrees in place).`];
  parts.push(r.restored ? 'A pristine copy was restored from the archive.' : 'Its archive is gone, so the tree was removed from the store; the next pull fetches it again.');
  if (r.relinked.length) parts.push(`Re-linked to the pristine copy: ${r.relinked.map((w) => `${w.repoDir} (${plural(w.files, 'file')})`).join(', ')}.`);
  for (const k of r.keptBy) parts.push(`${k.repoDir} keeps its written ${k.files.length === 1 ? 'file' : 'files'} as its own: ${k.files.join(', ')}.`);
  if (r.quarantined) parts.push(`The written tree was kept at ${r.quarantined} until 'swamp-store cache gc'.`);
  return parts.join(' ');
}

/** Warn about store repairs and heal the trees this worktree names, before the command's own work. */
export async function healFirst(worktree: Worktree, out: Output, repo: RepoContext, store: Store): Promise<StoreRepairReport[]> {
  worktree.setStoreRepairReporter((r) => out.warn(describeRepair(r)));
  return worktree.healWrittenThrough(repo, store);
}
