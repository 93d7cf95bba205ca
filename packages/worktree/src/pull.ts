import { beginPins, recordLinks, touchTree, type ResolvedArchive, type Store, type TreeStatus } from '@swamp-store/store';
import { Linker, type FallbackReason, type LinkCounts, type LinkMode } from './link.js';
import { readLockfile } from './lockfile.js';
import { placedFileCount, planInstall } from './plan-install.js';
import { resolveGraph, type Ordered, type Resolver } from './pull-graph.js';
import type { RepoContext } from './repo.js';
import { runTransaction, type PlannedChange } from './transaction.js';

export type { ResolvedArchive, Resolver };
export { dependencyRef, type ResolveOptions } from './pull-graph.js';

export interface PullOptions {
  repo: RepoContext;
  store: Store;
  refs: readonly string[];
  resolve: Resolver;
  linkMode?: LinkMode;
  force?: boolean;
  /** Dependency depth limit (a chain longer than this is an error). */
  maxDepth?: number;
  onEvent?: (event: PullEvent) => void;
}

export type PullEvent =
  | { type: 'resolved'; ref: string; archive: ResolvedArchive }
  | { type: 'tree'; name: string; status: TreeStatus; repaired: number }
  | { type: 'installed'; result: PullResult }
  | { type: 'cycle'; chain: string[] };

export interface PullResult {
  name: string;
  version: string;
  checksum: string;
  store: TreeStatus;
  downloaded: boolean;
  verified: boolean;
  /** Where the archive's bytes came from (ResolvedArchive.source); `store` when nothing was fetched. */
  source: 'store' | 'remote' | 'registry';
  /** True when this process uploaded the archive to the remote cache. */
  pushed: boolean;
  linked: LinkCounts;
  files: number;
  pruned: string[];
  /** Store files found tampered with and re-extracted before linking. */
  repaired: string[];
  /** Set for extensions pulled as a dependency of another. */
  dependencyOf?: string | undefined;
  fallbacks: FallbackReason[];
  changed: boolean;
  /** `extension install` adopting a worktree Swamp populated: files that differ from the tree, left as they are. */
  kept?: string[];
}

const DEFAULT_MAX_DEPTH = 16;

/**
 * Pulls refs and their dependencies in ONE worktree transaction: one lockfile
 * lock, one journal, one lockfile write, in the order Swamp writes it.
 * Resolve, fetch and extract happen before the lock, protected from gc by this
 * command's temp root (one pin per dependency level for all its digests).
 */
export async function pullExtensions(opts: PullOptions): Promise<PullResult[]> {
  const { repo, store } = opts;
  // Swamp skips a dependency its lockfile already has (at any version); read without the lock, as Swamp's snapshot is.
  const snapshot = (await readLockfile(repo.lockfilePath)).entries;
  const pins = await beginPins(store);
  try {
    const graph = await resolveGraph({
      store,
      pins,
      resolve: async (ref, o) => {
        const archive = await opts.resolve(ref, o);
        opts.onEvent?.({ type: 'resolved', ref, archive });
        return archive;
      },
      refs: opts.refs,
      installed: new Set(Object.keys(snapshot)),
      maxDepth: opts.maxDepth ?? DEFAULT_MAX_DEPTH,
      onPrepared: (p) => opts.onEvent?.({ type: 'tree', name: p.name, status: p.ensured.status, repaired: p.ensured.repaired.length }),
      onCycle: (chain) => opts.onEvent?.({ type: 'cycle', chain }),
    });
    const results = await install(opts, graph.order, new Set(Object.keys(snapshot)));
    if (graph.error !== undefined) throw graph.error;
    return results;
  } finally {
    await pins.release();
  }
}

async function install(opts: PullOptions, order: Ordered[], before: ReadonlySet<string>): Promise<PullResult[]> {
  const { repo, store } = opts;
  if (order.length === 0) return [];
  const linker = new Linker(opts.linkMode ?? 'auto');
  const planOf = new Map<string, PlannedChange>();
  const kept: Ordered[] = [];
  await runTransaction(repo, store, linker, async (ctx) => {
    const plans: PlannedChange[] = [];
    for (const item of order) {
      const { prepared, dependencyOf } = item;
      // Another command installed this dependency since our snapshot: Swamp's rule skips it.
      if (dependencyOf && !before.has(prepared.name) && ctx.entries[prepared.name]) continue;
      kept.push(item);
      const { archive, ensured, name } = prepared;
      const plan = await planInstall(ctx, { name, tree: ensured.tree, treeDir: ensured.dir, serverUrl: archive.serverUrl, channel: archive.channel }, { store, force: Boolean(opts.force) });
      if (!plan) continue;
      plans.push(plan);
      planOf.set(name, plan);
    }
    return plans;
  });
  const results: PullResult[] = [];
  for (const { prepared, dependencyOf } of kept) {
    const { archive, ensured, name } = prepared;
    const plan = planOf.get(name);
    await touchTree(store, archive.sha256);
    if ((plan?.linked?.hardlink ?? 0) > 0 && !store.readOnly) await recordLinks(store.layout, ensured.tree);
    const result: PullResult = {
      name,
      version: ensured.tree.version,
      checksum: archive.sha256,
      store: ensured.status,
      downloaded: archive.downloaded,
      verified: archive.verified,
      source: archive.source ?? (archive.downloaded ? 'registry' : 'store'),
      pushed: Boolean(archive.pushed),
      linked: plan?.linked ?? { hardlink: 0, reflink: 0, copy: 0 },
      files: placedFileCount(repo, name, ensured.tree),
      pruned: plan?.change.orphans ?? [],
      repaired: ensured.repaired.map((p) => p.path),
      dependencyOf,
      fallbacks: [...linker.fallbacks],
      changed: Boolean(plan),
    };
    results.push(result);
    opts.onEvent?.({ type: 'installed', result });
  }
  return results;
}
