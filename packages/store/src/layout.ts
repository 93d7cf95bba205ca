import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

/**
 * Every folder of the store, named once (as uv names its cache buckets).
 * The layout version is part of every path, so a future `v2/` can live beside
 * `v1/` and old binaries never misread a new layout.
 */
export const LAYOUT_VERSION = 'v1';

export interface StoreLayout {
  /** The store root the user chose (SWAMP_STORE_DIR or the per-user cache dir). */
  readonly root: string;
  /** `<root>/v1`. */
  readonly base: string;
  /** cacache: archive bytes by integrity, index keys `ext:<name>@<version>` and `sha256:<hex>`. */
  readonly cas: string;
  /** Published unpacked trees, `trees/<sha256>/`. */
  readonly trees: string;
  /** Staging on the store's own filesystem, so publish is a same-fs rename. */
  readonly tmp: string;
  /** Trees found tampered with, kept aside for inspection until gc. */
  readonly quarantine: string;
  /** Per-digest locks and the gc lock. */
  readonly locks: string;
  /** One record per worktree that links from the store. */
  readonly roots: string;
  /** Digests a running command is about to link. */
  readonly tempRoots: string;
  /** Small state files (last automatic gc, ...). */
  readonly state: string;
}

export function storeLayout(root: string): StoreLayout {
  const abs = path.resolve(root);
  const base = path.join(abs, LAYOUT_VERSION);
  return {
    root: abs,
    base,
    cas: path.join(base, 'cas'),
    trees: path.join(base, 'trees'),
    tmp: path.join(base, 'tmp'),
    quarantine: path.join(base, 'quarantine'),
    locks: path.join(base, 'locks'),
    roots: path.join(base, 'roots'),
    tempRoots: path.join(base, 'temp-roots'),
    state: path.join(base, 'state'),
  };
}

export function treeDir(layout: StoreLayout, sha256: string): string {
  return path.join(layout.trees, sha256);
}

export function digestLockPath(layout: StoreLayout, sha256: string): string {
  return path.join(layout.locks, `tree-${sha256}`);
}

export function gcLockPath(layout: StoreLayout): string {
  return path.join(layout.locks, 'gc');
}

/**
 * The default store (when SWAMP_STORE_DIR is unset): the per-user cache directory, because the store is a cache
 * (everything in it can be fetched again) and because it usually sits on the same
 * filesystem as the user's repositories, which hardlinks need.
 *   Linux & other Unix: $XDG_CACHE_HOME/swamp-store, else ~/.cache/swamp-store
 *   macOS: ~/Library/Caches/swamp-store
 *   Windows: %LOCALAPPDATA%\swamp-store\Cache
 */
export function defaultStoreRoot(dirs: PerUserCacheDirs = {}): string {
  const home = os.homedir();
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Caches', 'swamp-store');
  if (process.platform === 'win32') {
    return path.join(dirs.localAppData || path.join(home, 'AppData', 'Local'), 'swamp-store', 'Cache');
  }
  return path.join(dirs.xdgCacheHome || path.join(home, '.cache'), 'swamp-store');
}

/** The platform's per-user cache folders, as the CLI read them from its settings (XDG_CACHE_HOME, LOCALAPPDATA). */
export interface PerUserCacheDirs {
  xdgCacheHome?: string | undefined;
  localAppData?: string | undefined;
}

/** Name of a staging folder in tmp/: the owner's pid and host let a sweeper tell whether it is dead. */
export function tmpName(purpose: string): string {
  const rand = Math.random().toString(36).slice(2, 10);
  return `${purpose}-${os.hostname()}-${process.pid}-${Date.now()}-${rand}`;
}

/** Serialises downloads of one archive across processes, so N agents fetch it once. `key` is any string (hashed). */
export function downloadLockPath(layout: StoreLayout, key: string): string {
  return path.join(layout.locks, `download-${createHash('sha256').update(key).digest('hex').slice(0, 32)}`);
}
