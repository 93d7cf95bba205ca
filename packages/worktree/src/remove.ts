import path from 'node:path';
import { readTreeManifest, type Store } from '@swamp-store/store';
import { WorktreeError } from './errors.js';
import { Linker } from './link.js';
import { EXTENSION_SUBDIRS, extensionDir, placeTree } from './placement.js';
import { isSkillDirPath, knownEntries } from './managed-files.js';
import type { RepoContext } from './repo.js';
import { runTransaction, type PlannedChange, type TransactionContext } from './transaction.js';

export interface RemovedExtension {
  name: string;
  version: string;
  filesDeleted: number;
}

/**
 * Removes exactly the files each entry installed, under the lockfile lock.
 * Folders are only pruned when empty, so a nested extension (`@a/b/c` inside
 * `@a/b`) and files swamp-store did not place survive.
 */
export async function removeExtensions(repo: RepoContext, store: Store, names: readonly string[]): Promise<RemovedExtension[]> {
  const removed: RemovedExtension[] = [];
  await runTransaction(repo, store, new Linker('auto'), async (ctx) => {
    const missing = names.filter((n) => !ctx.entries[n]);
    if (missing.length > 0) {
      const first = missing[0] as string;
      throw new WorktreeError(
        'E_NOT_INSTALLED',
        `Extension ${missing.join(', ')} is not installed.`,
        `Use 'swamp-store extension list' to see what is installed, or 'swamp-store extension pull ${first}' to install it.`,
      );
    }
    const known = knownEntries(repo, store, ctx.entries);
    const claimedByKept = new Set(known.filter((k) => !names.includes(k.name)).flatMap((k) => [...k.entry.files, ...(k.placement?.entries.map((e) => e.target) ?? [])]));
    const plans: PlannedChange[] = [];
    for (const name of new Set(names)) {
      const k = known.find((x) => x.name === name);
      if (!k) continue;
      const targets = new Set([...k.entry.files, ...(k.placement?.entries.map((e) => e.target) ?? []), ...(await checkedOutAwayTargets(ctx, store, name, k.entry.checksum))]);
      const gone = [...targets].filter((t) => !claimedByKept.has(t));
      // Skill folders go only when emptied of the files the store tree proves are ours (see plan-install).
      const orphans = gone.filter((t) => !isSkillDirPath(t)).sort();
      const extDir = extensionDir(name);
      const ownDirs = k.placement?.dirs ?? [extDir, ...EXTENSION_SUBDIRS.map((d) => `${extDir}/${d}`)];
      // Deepest first, so a parent is tried only after its children are gone.
      const pruneFrom = [...new Set([...ownDirs, ...gone.filter(isSkillDirPath), ...orphans.map((o) => path.posix.dirname(o))])].sort((a, b) => b.length - a.length);
      plans.push({ change: { name, entry: null, moves: [], orphans, dirs: [], pruneFrom }, stage: [] });
      removed.push({ name, version: k.entry.version, filesDeleted: orphans.length });
    }
    return plans;
  });
  return removed;
}

/**
 * After a `git checkout` the lockfile may name another version than the one
 * on disk; the files of the one on disk (materialized.json) are ours too, and
 * rm removes them rather than leave them untracked.
 */
async function checkedOutAwayTargets(ctx: TransactionContext, store: Store, name: string, lockSum: string | undefined): Promise<string[]> {
  const onDisk = ctx.materialized[name];
  if (!onDisk || onDisk === lockSum) return [];
  const tree = await readTreeManifest(store.layout, onDisk);
  if (!tree) return [];
  return placeTree({ name, treeFiles: tree.files, treeDirs: tree.dirs, skillsDirs: ctx.repo.skillsDirs }).entries.map((e) => e.target);
}
