import { fnv1a32Hex } from './fnv.js';
import { isSafeRelativePath as isSafeTreePath } from '@swamp-store/store';
import { BUNDLE_SOURCE_DIR, EXTENSION_SUBDIRS, PULLED_DIR, SWAMP_DIR, isExtensionName, type BundleKind } from '@swamp-store/primitives';
import { WorktreeError } from './errors.js';

/**
 * Where one extension's store tree lands in a repository, computed without
 * touching the disk. Every path here is repo-relative with forward slashes,
 * exactly as Swamp writes it into the lockfile.
 */

// Swamp's names and folders are defined once, in the primitives package; re-exported for this package's modules.
export { EXTENSION_NAME_RE, SWAMP_DIR, PULLED_DIR, EXTENSION_SUBDIRS, BUNDLE_SOURCE_DIR, BUNDLE_KINDS, type BundleKind } from '@swamp-store/primitives';

export function isBundleKind(s: string): s is BundleKind {
  return Object.hasOwn(BUNDLE_SOURCE_DIR, s);
}

export function isValidExtensionName(name: unknown): name is string {
  return isExtensionName(name);
}

/** The one gate every name passes before it becomes part of a path. */
export function assertExtensionName(name: string): void {
  if (!isValidExtensionName(name)) {
    throw new WorktreeError(
      'E_USAGE',
      `Invalid extension name ${JSON.stringify(name)}.`,
      "Use a scoped name such as '@scope/name' (lowercase letters, digits, '_' and '-').",
    );
  }
}

/** The store's rule for a relative path we may join onto the repository (no absolute, drive, `.`, `..`, empty segment, backslash or NUL), for values of unknown type. */
export function isSafeRelativePath(p: unknown): p is string {
  return typeof p === 'string' && isSafeTreePath(p);
}

/** `.swamp/pulled-extensions/<name>`: the scoped name is used literally as nested directories. */
export function extensionDir(name: string): string {
  assertExtensionName(name);
  return `${PULLED_DIR}/${name}`;
}

/** Swamp's bundle namespace: FNV-1a of the repo-relative path of the extension's source dir. */
export function bundleNamespace(name: string, kind: BundleKind): string {
  return fnv1a32Hex(`${extensionDir(name)}/${BUNDLE_SOURCE_DIR[kind]}`);
}

/** `.swamp/<kind>/<ns>`: the one folder of this extension's bundles of that kind. */
export function bundleDir(name: string, kind: BundleKind): string {
  // Memoised: lockfile validation asks for every kind of every path of every entry.
  const key = `${kind}\0${name}`;
  let dir = bundleDirs.get(key);
  if (dir === undefined) {
    dir = `${SWAMP_DIR}/${kind}/${bundleNamespace(name, kind)}`;
    bundleDirs.set(key, dir);
  }
  return dir;
}
const bundleDirs = new Map<string, string>();

/**
 * Files under `.swamp/*bundles/` must be private copies, never hardlinks:
 * Swamp's loader rewrites them in place, which through a hardlink would corrupt
 * the shared store tree and every other worktree linked to it.
 */
export function isBundleTarget(target: string): boolean {
  return /^\.swamp\/[^/]*bundles\//.test(target);
}

export type PlacementKind = 'ext' | 'bundle' | 'skill';

export interface PlacementEntry {
  /** Path inside the store tree (`ext/...`, `bundles/<kind>/...`, `skills/<skill>/...`). */
  treePath: string;
  /** Repo-relative destination. */
  target: string;
  kind: PlacementKind;
}

export interface Placement {
  /** One per destination: a skill file appears once per skills dir. */
  entries: PlacementEntry[];
  /**
   * Every directory this extension owns, sorted (a parent sorts before its
   * children): the extension dir and its seven subdirs, each bundle namespace
   * dir used, each skill dir, and everything between them and the files.
   * Shared parents (`.swamp`, `.swamp/bundles`, `.claude/skills`) are not listed.
   */
  dirs: string[];
  /** Exactly what Swamp records as the entry's `files`: sorted, deduplicated. */
  lockfileFiles: string[];
  /** Tree paths Swamp would not install (a plain file directly under `skills/`). */
  ignored: string[];
}

export interface PlaceTreeOptions {
  name: string;
  treeFiles: readonly { path: string }[];
  /** Directories of the tree (may include empty ones); optional parents are fine. */
  treeDirs: readonly string[];
  /** Repo-relative skills dirs of the enrolled tools (see repo.ts). */
  skillsDirs: readonly string[];
}

/** A code-unit sort, the same as Swamp's `[...files].sort()`. */
export function sortPaths(paths: Iterable<string>): string[] {
  return [...new Set(paths)].sort();
}

function treeError(treePath: string, why: string): WorktreeError {
  return new WorktreeError(
    'E_TREE',
    `Store tree path ${JSON.stringify(treePath)} ${why}.`,
    "Run 'swamp-store cache verify --repair' and try again.",
  );
}

interface Located {
  kind: PlacementKind;
  /** Repo-relative destinations (one per skills dir for skills). */
  targets: string[];
  /** The owned directory each target lives under (area root), same order as targets. */
  roots: string[];
  /** True when the path is the area root itself (`ext`, `bundles/<kind>`, `skills/<skill>`). */
  isRoot: boolean;
}

/**
 * Maps one tree path (file or dir) to its destinations. Returns undefined for
 * container paths that belong to no single extension (`bundles`, `skills`).
 */
function locate(name: string, extRoot: string, treePath: string, skillsDirs: readonly string[]): Located | undefined {
  if (!isSafeRelativePath(treePath)) throw treeError(treePath, 'is not a safe relative path');
  // Slices at the first two slashes, no split/join: this runs once per file and folder of a tree.
  const cut1 = treePath.indexOf('/');
  const top = cut1 < 0 ? treePath : treePath.slice(0, cut1);
  if (top === 'ext') {
    const rest = cut1 < 0 ? '' : treePath.slice(cut1 + 1);
    return { kind: 'ext', targets: [rest ? `${extRoot}/${rest}` : extRoot], roots: [extRoot], isRoot: !rest };
  }
  const cut2 = cut1 < 0 ? -1 : treePath.indexOf('/', cut1 + 1);
  const second = cut1 < 0 ? undefined : cut2 < 0 ? treePath.slice(cut1 + 1) : treePath.slice(cut1 + 1, cut2);
  const rest = cut2 < 0 ? '' : treePath.slice(cut2 + 1);
  if (top === 'bundles') {
    const kind = second;
    if (kind === undefined) return undefined;
    if (!isBundleKind(kind)) throw treeError(treePath, 'names an unknown bundle kind');
    const root = bundleDir(name, kind);
    return { kind: 'bundle', targets: [rest ? `${root}/${rest}` : root], roots: [root], isRoot: !rest };
  }
  if (top === 'skills') {
    const skill = second;
    if (skill === undefined) return undefined;
    const skillDirs = skillsDirs.map((d) => `${d}/${skill}`);
    return {
      kind: 'skill',
      targets: skillDirs.map((d) => (rest ? `${d}/${rest}` : d)),
      roots: skillDirs,
      isRoot: !rest,
    };
  }
  throw treeError(treePath, 'is outside ext/, bundles/ and skills/');
}

/** Adds `target`'s directory and each parent up to (and including) `root`. */
function addDirsBetween(dirs: Set<string>, root: string, dir: string, disjoint: boolean): void {
  let d = dir;
  while (d.length >= root.length) {
    // Every chain added here runs up to its root, and the extension's folder and its bundle
    // namespaces never hold one another: there, a folder already known has all its parents up
    // to the root known too. (Skills dirs come from .swamp.yaml and could nest: no shortcut.)
    if (disjoint && d !== root && dirs.has(d)) return;
    dirs.add(d);
    if (d === root) return;
    const cut = d.lastIndexOf('/');
    if (cut < 0) return;
    d = d.slice(0, cut);
  }
}

/**
 * The full placement of a tree in installed form. Pure: the caller links or
 * copies `entries`, creates `dirs` and records `lockfileFiles`.
 */
export function placeTree(opts: PlaceTreeOptions): Placement {
  // Pure, and asked for several times per tree by one command (count, plan, untracked files):
  // kept per tree manifest object, so a 10,000-file tree is placed once. Callers never mutate it.
  const key = `${opts.name}\0${opts.skillsDirs.join('\0')}`;
  let byKey = placements.get(opts.treeFiles);
  const hit = byKey?.get(key);
  if (hit && hit.treeDirs === opts.treeDirs) return hit.placement;
  const placement = computePlacement(opts);
  if (!byKey) placements.set(opts.treeFiles, (byKey = new Map()));
  byKey.set(key, { treeDirs: opts.treeDirs, placement });
  return placement;
}
const placements = new WeakMap<readonly { path: string }[], Map<string, { treeDirs: readonly string[]; placement: Placement }>>();

function computePlacement(opts: PlaceTreeOptions): Placement {
  const { name } = opts;
  assertExtensionName(name);
  const skillsDirs = dedupe(opts.skillsDirs);
  for (const d of skillsDirs) {
    if (!isSafeRelativePath(d)) throw new WorktreeError('E_USAGE', `Skills dir ${JSON.stringify(d)} is not a safe relative path.`);
  }

  const extRoot = extensionDir(name);
  const entries: PlacementEntry[] = [];
  const dirs = new Set<string>([extRoot, ...EXTENSION_SUBDIRS.map((d) => `${extRoot}/${d}`)]);
  const lockfileFiles = new Set<string>();
  const ignored: string[] = [];

  for (const { path: treePath } of opts.treeFiles) {
    const loc = locate(name, extRoot, treePath, skillsDirs);
    // A plain file directly under skills/ is not a skill: Swamp only copies
    // directories there. With no skills dir at all, skills have nowhere to go.
    if ((loc?.kind === 'skill' && loc.isRoot) || loc?.targets.length === 0) {
      ignored.push(treePath);
      continue;
    }
    if (loc === undefined || loc.isRoot) throw treeError(treePath, 'is a file where a directory belongs');
    loc.targets.forEach((target, i) => {
      entries.push({ treePath, target, kind: loc.kind });
      const root = loc.roots[i] as string;
      addDirsBetween(dirs, root, target.slice(0, target.lastIndexOf('/')), loc.kind !== 'skill');
      // Swamp tracks a skill by its directory so that `rm` removes it in one go.
      lockfileFiles.add(loc.kind === 'skill' ? root : target);
    });
  }

  for (const treeDir of opts.treeDirs) {
    const loc = locate(name, extRoot, treeDir, skillsDirs);
    if (loc === undefined) continue;
    loc.targets.forEach((target, i) => {
      const root = loc.roots[i] as string;
      addDirsBetween(dirs, root, target, loc.kind !== 'skill');
      // An empty skill directory is still a skill Swamp installs and tracks.
      if (loc.kind === 'skill') lockfileFiles.add(root);
    });
  }

  return { entries, dirs: sortPaths(dirs), lockfileFiles: sortPaths(lockfileFiles), ignored };
}

/** Deduplicates keeping first occurrence (the order of `tools` in `.swamp.yaml`). */
function dedupe(paths: readonly string[]): string[] {
  return [...new Set(paths)];
}
