import { mapPool, parseDependency, type Pins, type PristineTreeResult, type ResolvedArchive, type Store } from '@swamp-store/store';
import { isSwampStoreError } from '@swamp-store/primitives';
import { WorktreeError } from './errors.js';
import { ensureTreeRelinked } from './written-through.js';

/**
 * What the caller knows about a ref: the checksum a lockfile pins (the remote
 * cache is asked by digest), and whether it is a manifest dependency (a bare
 * name or constraint then picks Swamp's latest stable, else beta, else rc).
 */
export interface ResolveOptions {
  sha256?: string | undefined;
  dependency?: boolean;
}

/**
 * Turns a ref (`@scope/name[@version]`, a path, a URL) into archive bytes in
 * the store. Pluggable: the CLI wires the registry client in; tests may pass
 * their own.
 */
export type Resolver = (ref: string, options?: ResolveOptions) => Promise<ResolvedArchive>;

/** A ref resolved, pinned, and its tree published and checked pristine. */
export interface Prepared {
  ref: string;
  archive: ResolvedArchive;
  ensured: PristineTreeResult;
  name: string;
}

/** One extension of the command, in the order Swamp writes the lockfile. */
export interface Ordered {
  prepared: Prepared;
  /** The extension whose manifest asked for this one (absent for names the user gave). */
  dependencyOf?: string | undefined;
}

export interface GraphOptions {
  store: Store;
  pins: Pins;
  resolve: Resolver;
  refs: readonly string[];
  /** Names the lockfile already has (read before the lock): Swamp skips such a dependency at any version. */
  installed: ReadonlySet<string>;
  maxDepth: number;
  onPrepared?: (p: Prepared) => void;
  onCycle?: (chain: string[]) => void;
}

export interface GraphResult {
  order: Ordered[];
  /** Set when a dependency could not be had: `order` then holds what Swamp would have written before it failed. */
  error?: unknown;
}

/** The ref that installs a manifest dependency, as Swamp resolves it: an exact version is honoured; a constraint or a bare name means the latest. */
export function dependencyRef(dep: string): string {
  const parsed = parseDependency(dep);
  return parsed.version && !parsed.constraint ? `${parsed.name}@${parsed.version}` : parsed.name;
}

/** Refs resolved and trees ensured at once per level (see prepareAll). */
const PREPARE_IN_FLIGHT = 8;

type Settled = { ok: true; value: Prepared } | { ok: false; error: unknown };

/**
 * Resolves the user's refs and, level by level, their dependencies: every ref
 * of a level at once (network and extraction overlap), with one gc pin per level
 * for all its digests. The order is then Swamp's: the names in the order given,
 * each followed depth-first by the dependencies it installs — the same bytes
 * whatever finishes first.
 */
export async function resolveGraph(opts: GraphOptions): Promise<GraphResult> {
  const settled = new Map<string, Settled>(); // by ref (dependencies) or `top:<i>` (user refs)
  const top = await prepareAll(opts, opts.refs.map((ref) => ({ key: `top:${ref}`, ref, dependency: false })), settled);
  const failedTop = top.find((s) => !s.ok);
  if (failedTop && !failedTop.ok) throw failedTop.error;
  const topPrepared = top.map((s) => (s as { value: Prepared }).value);
  const byUserName = new Map<string, Prepared>();
  for (const p of topPrepared) {
    const other = byUserName.get(p.name);
    if (other && other.archive.sha256 !== p.archive.sha256) {
      throw new WorktreeError('E_USAGE', `Two different archives of ${p.name} were asked for (${other.ref} and ${p.ref}).`, 'Name each extension once.');
    }
    byUserName.set(p.name, p);
  }

  // Expand: every dependency any prepared tree names (and the lockfile lacks) gets resolved, wave by wave.
  const expanded = new Set<string>();
  let wave: Prepared[] = [...byUserName.values()];
  for (let depth = 0; wave.length > 0; depth++) {
    const next: { key: string; ref: string; dependency: boolean }[] = [];
    for (const p of wave) {
      if (expanded.has(p.archive.sha256)) continue;
      expanded.add(p.archive.sha256);
      for (const dep of p.ensured.tree.dependencies) {
        const { name } = parseDependency(dep);
        if (byUserName.has(name) || opts.installed.has(name)) continue;
        const ref = dependencyRef(dep);
        if (settled.has(ref) || next.some((n) => n.key === ref)) continue;
        next.push({ key: ref, ref, dependency: true });
      }
    }
    if (depth > opts.maxDepth + 1) break; // the walk below reports the chain
    const got = await prepareAll(opts, next, settled);
    wave = got.filter((s): s is { ok: true; value: Prepared } => s.ok).map((s) => s.value);
  }
  return orderLikeSwamp(opts, topPrepared, byUserName, settled);
}

async function prepareAll(opts: GraphOptions, items: { key: string; ref: string; dependency: boolean }[], settled: Map<string, Settled>): Promise<Settled[]> {
  if (items.length === 0) return [];
  // Resolve all, then pin all digests in one write, then ensure the trees. A few at a
  // time: a hundred extractions at once in one process starve the event loop, and with it the digest
  // locks' heartbeats (a holder that cannot refresh its lock for the stale threshold loses it).
  // Each process starts at its own place in the list: agents pulling the same refs into one store
  // all began with the same few archives and queued on their digest locks, one unpacking and the
  // rest polling; now they unpack different ones and find the others done. The lockfile order does
  // not depend on it (orderLikeSwamp decides it afterwards).
  const order = rotation(items.length, process.pid);
  const resolved = new Array<PromiseSettledResult<ResolvedArchive>>(items.length);
  await mapPool(order, PREPARE_IN_FLIGHT, async (i) => {
    const it = items[i] as (typeof items)[number];
    try {
      resolved[i] = { status: 'fulfilled', value: await opts.resolve(it.ref, it.dependency ? { dependency: true } : undefined) };
    } catch (reason) {
      resolved[i] = { status: 'rejected', reason };
    }
  });
  await opts.pins.add(resolved.flatMap((r) => (r.status === 'fulfilled' ? [r.value.sha256] : [])));
  const out = new Array<Settled>(items.length);
  await mapPool(
    order,
    PREPARE_IN_FLIGHT,
    async (i): Promise<void> => {
      out[i] = await prepareOne(items[i] as (typeof items)[number], i);
    },
  );
  items.forEach((it, i) => settled.set(it.key, out[i] as Settled));
  return out;

  async function prepareOne(it: (typeof items)[number], i: number): Promise<Settled> {
    const r = resolved[i] as PromiseSettledResult<ResolvedArchive>;
    if (r.status === 'rejected') return { ok: false, error: r.reason };
    try {
      const value = await ensurePrepared(opts, it.ref, it.dependency, r.value);
      opts.onPrepared?.(value);
      return { ok: true, value };
    } catch (error) {
      return { ok: false, error };
    }
  }
}

/** 0..n-1 starting at an offset of `seed`'s choosing, wrapping around. */
export function rotation(n: number, seed: number): number[] {
  const start = n === 0 ? 0 : Math.abs(Math.imul(seed, 2654435761)) % n;
  return Array.from({ length: n }, (_, k) => (start + k) % n);
}

async function ensurePrepared(opts: GraphOptions, ref: string, dependency: boolean, first: ResolvedArchive): Promise<Prepared> {
  let archive = first;
  let ensured: PristineTreeResult;
  try {
    ensured = await ensureTreeRelinked(opts.store, archive.sha256, { expectedName: archive.name });
  } catch (err) {
    // The resolver saw the tree or archive, but gc took it before our pin landed: resolve
    // once more (now pinned, so whatever that fetches stays).
    if (!(isSwampStoreError(err) && err.code === 'E_NOT_FOUND')) throw err;
    archive = await opts.resolve(ref, dependency ? { dependency: true } : undefined);
    await opts.pins.add([archive.sha256]);
    ensured = await ensureTreeRelinked(opts.store, archive.sha256, { expectedName: archive.name });
  }
  // The resolver may have published the tree itself (a fresh ingest is unpacked at once): its status is the true one.
  if (ensured.status === 'hit' && archive.treeStatus && archive.treeStatus !== 'hit') ensured = { ...ensured, status: archive.treeStatus };
  return { ref, archive, ensured, name: ensured.tree.name };
}

/**
 * Swamp's installExtension walk: an extension, then each dependency not yet
 * pulled by this command and not in the lockfile, depth-first. The first
 * dependency that cannot be had stops the walk; what came before it is what
 * Swamp has written by then (the parent is installed), so it is kept.
 */
function orderLikeSwamp(opts: GraphOptions, topPrepared: Prepared[], byUserName: Map<string, Prepared>, settled: Map<string, Settled>): GraphResult {
  const order: Ordered[] = [];
  const visited = new Set<string>();
  let error: unknown;
  const visit = (p: Prepared, parent: string | undefined, chain: string[]): boolean => {
    if (chain.length > opts.maxDepth) {
      error = new WorktreeError('E_DEPENDENCY', `Dependency chain too deep: ${[...chain, p.name].join(' -> ')}.`, 'Check the manifests for a runaway dependency chain.');
      return false;
    }
    visited.add(p.name);
    order.push({ prepared: p, dependencyOf: parent });
    const nextChain = [...chain, p.name];
    for (const dep of p.ensured.tree.dependencies) {
      const { name } = parseDependency(dep);
      if (visited.has(name)) {
        if (nextChain.includes(name)) opts.onCycle?.([...nextChain, name]);
        continue;
      }
      const user = byUserName.get(name);
      if (user) {
        if (!visit(user, p.name, nextChain)) return false;
        continue;
      }
      if (opts.installed.has(name)) continue;
      const s = settled.get(dependencyRef(dep));
      if (!s || !s.ok) {
        error = dependencyFailure(name, p.name, s ? s.error : undefined);
        return false;
      }
      if (!visit(s.value, p.name, nextChain)) return false;
    }
    return true;
  };
  for (const p of topPrepared) {
    if (visited.has(p.name)) continue;
    if (!visit(p, undefined, [])) break;
  }
  return error === undefined ? { order } : { order, error };
}

/** Names both ends, as a user needs to fix it: which dependency, and who asked for it. */
function dependencyFailure(dep: string, parent: string, cause: unknown): unknown {
  const code = (cause as { code?: string } | undefined)?.code;
  const why = cause instanceof Error ? cause.message : 'it could not be resolved';
  if (code === 'E_NOT_FOUND' || cause === undefined) {
    return new WorktreeError(
      'E_NOT_FOUND',
      `Dependency ${dep} of ${parent} could not be found: ${why}`,
      `${parent} was installed without it. Publish ${dep} to this registry (or pull it from where it is published), then run 'swamp-store extension pull ${dep}'.`,
      { cause },
    );
  }
  return cause;
}
