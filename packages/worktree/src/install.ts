import path from 'node:path';
import { beginPins, recordLinks, touchTree, StoreError, type PristineTreeResult, type Store, type TreeManifest } from '@swamp-store/store';
import { WorktreeError } from './errors.js';
import { Linker, type LinkMode } from './link.js';
import { readLockfile, type LockEntry } from './lockfile.js';
import { knownEntries, untrackedFiles } from './managed-files.js';
import { placedFileCount, planInstall } from './plan-install.js';
import type { PullResult } from './pull.js';
import type { Resolver } from './pull-graph.js';
import { recoverIfNeeded } from './recover.js';
import type { RepoContext } from './repo.js';
import { runTransaction, type PlannedChange } from './transaction.js';
import { ensureTreeRelinked } from './written-through.js';

export interface InstallOptions {
  repo: RepoContext;
  store: Store;
  /** Fetches `name@version` when the store lacks an entry's archive; absent or offline: store only. */
  resolve?: Resolver | undefined;
  offline?: boolean;
  linkMode?: LinkMode;
  force?: boolean;
}

export interface InstallReport {
  extensions: PullResult[];
  /** Files of versions the lockfile no longer lists, removed. */
  pruned: string[];
}

/**
 * Restores every lockfile entry by its checksum (the store first, the network
 * only for what it lacks), then, in one transaction, links what is missing and
 * removes files no entry accounts for.
 */
export async function installFromLockfile(opts: InstallOptions): Promise<InstallReport> {
  const { repo, store } = opts;
  await recoverIfNeeded(repo);
  const snapshot = (await readLockfile(repo.lockfilePath)).entries;
  const pins = await beginPins(store);
  try {
    const trees = new Map<string, Got>();
    // One write pins every digest the lockfile names, before any tree is looked at.
    await pins.add([...new Set(Object.values(snapshot).flatMap((e) => (e.checksum ? [e.checksum] : [])))]);
    await Promise.all(
      Object.entries(snapshot).map(async ([name, entry]) => {
        const got = await treeForEntry(opts, pins, name, entry);
        trees.set(`${name}@${entry.checksum ?? ''}`, got);
      }),
    );
    const linker = new Linker(opts.linkMode ?? 'auto');
    const results: PullResult[] = [];
    // Per entry installed: its plan (for the link counts) and tree (for recordLinks).
    const placed = new Map<string, { plan: PlannedChange | undefined; tree: TreeManifest }>();
    let pruned: string[] = [];
    await runTransaction(repo, store, linker, async (ctx) => {
      const plans: PlannedChange[] = [];
      for (const [name, entry] of Object.entries(ctx.entries)) {
        const got = trees.get(`${name}@${entry.checksum ?? ''}`);
        if (!got) continue; // the lockfile changed since we looked; the next install picks it up
        const plan = await planInstall(
          ctx,
          { name, tree: got.ensured.tree, treeDir: got.ensured.dir, serverUrl: entry.serverUrl ?? '', channel: entry.channel },
          // Never installed here by swamp-store (Swamp itself pulled or updated it): adopt, do not refuse.
          { store, force: Boolean(opts.force), adopt: !opts.force && ctx.materialized[name] === undefined, keepEntry: true },
        );
        if (plan) plans.push(plan);
        placed.set(name, { plan, tree: got.ensured.tree });
        results.push({
          name,
          version: entry.version,
          checksum: got.ensured.tree.sha256,
          store: got.ensured.status,
          downloaded: got.downloaded,
          verified: got.verified,
          source: got.source,
          pushed: got.pushed,
          linked: { hardlink: 0, reflink: 0, copy: 0 },
          files: placedFileCount(repo, name, got.ensured.tree),
          pruned: plan?.change.orphans ?? [],
          repaired: got.ensured.repaired.map((p) => p.path),
          fallbacks: [],
          changed: Boolean(plan) && !plan?.noop,
          ...(plan?.kept ? { kept: plan.kept } : {}),
        });
      }
      const untracked = untrackedFiles(repo, knownEntries(repo, store, ctx.entries));
      if (untracked.length > 0) {
        pruned = untracked;
        plans.push({
          change: { name: '', moves: [], orphans: untracked, dirs: [], pruneFrom: [...new Set(untracked.map((f) => path.posix.dirname(f)))] },
          stage: [],
        });
      }
      return plans;
    });
    for (const r of results) {
      r.linked = placed.get(r.name)?.plan?.linked ?? r.linked;
      r.fallbacks = [...linker.fallbacks];
    }
    for (const r of results) {
      await touchTree(store, r.checksum);
      const tree = placed.get(r.name)?.tree;
      if (tree && r.linked.hardlink > 0 && !store.readOnly) await recordLinks(store.layout, tree);
    }
    return { extensions: results, pruned };
  } finally {
    await pins.release();
  }
}

interface Got {
  ensured: PristineTreeResult;
  downloaded: boolean;
  verified: boolean;
  source: PullResult['source'];
  pushed: boolean;
}

async function treeForEntry(opts: InstallOptions, pins: { add(d: readonly string[]): Promise<void> }, name: string, entry: LockEntry): Promise<Got> {
  const stored = { downloaded: false, verified: true, source: 'store', pushed: false } as const;
  const { store } = opts;
  if (entry.checksum) {
    // A published tree needs no archive (and no cacache load) to link; without one, ensureTreeRelinked
    // extracts from the archive when the store has it, else says E_NOT_FOUND and the resolver fetches it.
    const tree = await ensureTreeRelinked(store, entry.checksum, { expectedName: name }).catch((err: unknown) => {
      if (err instanceof StoreError && err.code === 'E_NOT_FOUND') return undefined;
      throw err;
    });
    if (tree) return { ensured: tree, ...stored };
  }
  if (opts.offline || !opts.resolve) {
    throw new WorktreeError(
      'E_NOT_FOUND',
      `${name}@${entry.version} is not in the store and the command is offline.`,
      `Run 'swamp-store extension install' without --offline, or 'swamp-store extension pull ${name}@${entry.version}'.`,
    );
  }
  // The checksum lets the resolver ask the remote cache by digest before Swamp's registry.
  const archive = await opts.resolve(`${name}@${entry.version}`, { sha256: entry.checksum });
  if (entry.checksum && archive.sha256 !== entry.checksum) {
    throw new WorktreeError(
      'E_INTEGRITY',
      `${name}@${entry.version} from ${archive.serverUrl} has checksum ${archive.sha256}, but the lockfile pins ${entry.checksum}.`,
      `The version was re-published with different bytes; run 'swamp-store extension pull ${name}@${entry.version}' to accept the new archive.`,
    );
  }
  await pins.add([archive.sha256]);
  const ensured = await ensureTreeRelinked(store, archive.sha256, { expectedName: name });
  return {
    // The resolver may have published the tree itself (a fresh ingest is unpacked at once): its status is the true one.
    ensured: ensured.status === 'hit' && archive.treeStatus ? { ...ensured, status: archive.treeStatus } : ensured,
    downloaded: archive.downloaded,
    verified: archive.verified,
    source: archive.source ?? (archive.downloaded ? 'registry' : 'store'),
    pushed: Boolean(archive.pushed),
  };
}
