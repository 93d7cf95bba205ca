import { beginPins, parseDependency, touchTree, type Pins, type PristineTreeResult, type ResolvedArchive, type Store, type TreeStatus } from '@swamp-store/store';
import { WorktreeError } from './errors.js';
import { Linker, type FallbackReason, type LinkCounts, type LinkMode } from './link.js';
import { placedFileCount, planInstall } from './plan-install.js';
import type { RepoContext } from './repo.js';
import { runTransaction } from './transaction.js';
import { ensureTreeRelinked } from './written-through.js';

export type { ResolvedArchive };

/**
 * Turns a ref (`@scope/name[@version]`, a path, a URL) into archive bytes in
 * the store. Pluggable: the CLI wires the registry client in; tests may pass
 * their own.
 */
export type Resolver = (ref: string, hint?: { sha256?: string | undefined }) => Promise<ResolvedArchive>;

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

/** The ref that installs a manifest dependency: exact versions are honoured, constraints resolve to the latest. */
export function dependencyRef(dep: string): string {
  const parsed = parseDependency(dep);
  return parsed.version && (!parsed.constraint || parsed.constraint === '=') ? `${parsed.name}@${parsed.version}` : parsed.name;
}

/**
 * Pulls refs and their dependencies, each extension in its own worktree
 * transaction. Resolve, fetch and extract happen outside the worktree lock,
 * protected from gc by this command's temp root.
 */
export async function pullExtensions(opts: PullOptions): Promise<PullResult[]> {
  const pins = await beginPins(opts.store);
  try {
    const puller = new Puller(opts, pins);
    return await puller.run();
  } finally {
    await pins.release();
  }
}

interface Prepared {
  ref: string;
  archive: ResolvedArchive;
  ensured: PristineTreeResult;
  name: string;
}

class Puller {
  private readonly byName = new Map<string, Promise<void>>();
  private readonly results: PullResult[] = [];

  constructor(
    private readonly opts: PullOptions,
    private readonly pins: Pins,
  ) {}

  /**
   * Top-level refs are resolved first so their names are known: a dependency
   * the user also named explicitly is installed once, at the version the user
   * asked for, never raced against the dependency's own resolution.
   */
  async run(): Promise<PullResult[]> {
    const prepared = await Promise.all(this.opts.refs.map((ref) => this.prepare(ref, [])));
    const seen = new Map<string, Prepared>();
    for (const p of prepared) {
      const other = seen.get(p.name);
      if (other && other.archive.sha256 !== p.archive.sha256) {
        throw new WorktreeError('E_USAGE', `Two different archives of ${p.name} were asked for (${other.ref} and ${p.ref}).`, 'Name each extension once.');
      }
      seen.set(p.name, p);
    }
    for (const name of seen.keys()) this.byName.set(name, Promise.resolve(undefined));
    await Promise.all([...seen.values()].map((p) => this.install(p, [], undefined)));
    return this.results;
  }

  /** Resolve, pin, and make sure the tree is published and pristine. */
  private async prepare(ref: string, chain: string[]): Promise<Prepared> {
    if (chain.length > (this.opts.maxDepth ?? DEFAULT_MAX_DEPTH)) {
      throw new WorktreeError('E_DEPENDENCY', `Dependency chain too deep: ${[...chain, ref].join(' -> ')}.`, 'Check the manifests for a runaway dependency chain.');
    }
    let archive = await this.opts.resolve(ref);
    this.opts.onEvent?.({ type: 'resolved', ref, archive });
    // Pin before looking at the tree: from here on gc leaves it alone.
    await this.pins.add([archive.sha256]);
    let ensured: PristineTreeResult;
    try {
      ensured = await ensureTreeRelinked(this.opts.store, archive.sha256, { expectedName: archive.name });
    } catch (err) {
      // The resolver saw the tree or archive, but gc took it before our pin landed: resolve
      // once more (now pinned, so whatever that fetches stays).
      if ((err as { code?: string }).code !== 'E_NOT_FOUND') throw err;
      archive = await this.opts.resolve(ref);
      await this.pins.add([archive.sha256]);
      ensured = await ensureTreeRelinked(this.opts.store, archive.sha256, { expectedName: archive.name });
    }
    if (ensured.status === 'hit' && archive.treeStatus) ensured = { ...ensured, status: archive.treeStatus };
    this.opts.onEvent?.({ type: 'tree', name: ensured.tree.name, status: ensured.status, repaired: ensured.repaired.length });
    return { ref, archive, ensured, name: ensured.tree.name };
  }

  /** A dependency: pulled once per command, whoever needs it first. */
  private dependency(ref: string, chain: string[], parent: string): Promise<void> | undefined {
    const name = parseDependency(ref).name;
    if (chain.includes(name)) {
      this.opts.onEvent?.({ type: 'cycle', chain: [...chain, name] });
      return undefined;
    }
    if (this.byName.has(name)) return undefined;
    const done = this.prepare(ref, chain).then((p) => this.install(p, chain, parent));
    this.byName.set(name, done.then(() => undefined));
    return done;
  }

  private async install(prepared: Prepared, chain: string[], parent: string | undefined): Promise<void> {
    const { store } = this.opts;
    const { archive, ensured, name } = prepared;
    const nextChain = [...chain, name];
    await Promise.all(ensured.tree.dependencies.map((dep) => this.dependency(dependencyRef(dep), nextChain, name)));
    const linker = new Linker(this.opts.linkMode ?? 'auto');
    let pruned: string[] = [];
    const planned = await runTransaction(this.opts.repo, store, linker, async (ctx) => {
      const plan = await planInstall(ctx, { name, tree: ensured.tree, treeDir: ensured.dir, serverUrl: archive.serverUrl, channel: archive.channel }, { store, force: Boolean(this.opts.force) });
      pruned = plan?.change.orphans ?? [];
      return plan ? [plan] : [];
    });
    await touchTree(store, archive.sha256);
    const result: PullResult = {
      name,
      version: ensured.tree.version,
      checksum: archive.sha256,
      store: ensured.status,
      downloaded: archive.downloaded,
      verified: archive.verified,
      source: archive.source ?? (archive.downloaded ? 'registry' : 'store'),
      pushed: Boolean(archive.pushed),
      linked: { ...linker.counts },
      files: placedFileCount(this.opts.repo, name, ensured.tree),
      pruned,
      repaired: ensured.repaired.map((p) => p.path),
      dependencyOf: parent,
      fallbacks: [...linker.fallbacks],
      changed: planned.length > 0,
    };
    this.results.push(result);
    this.opts.onEvent?.({ type: 'installed', result });
  }
}
