import { lstatSync, readdirSync, type Dirent } from 'node:fs';
import { joinSafe } from '@swamp-store/primitives';
import { readTreeManifestSync, type Store, type TreeManifest } from '@swamp-store/store';
import type { LockEntry } from './lockfile.js';
import { PULLED_DIR, placeTree, type Placement } from './placement.js';
import type { RepoContext } from './repo.js';
import { STATE_DIR } from './journal.js';
import { ALL_SKILLS_DIRS } from './repo.js';

/** An entry with its store tree (when the store still has it) and where that tree's files go. */
export interface KnownEntry {
  name: string;
  entry: LockEntry;
  tree: TreeManifest | undefined;
  placement: Placement | undefined;
}

/** Synchronous reads: one small file per entry, hundreds of entries. */
export function knownEntries(repo: RepoContext, store: Store, entries: Record<string, LockEntry>): KnownEntry[] {
  return Object.entries(entries).map(([name, entry]) => {
    const tree = entry.checksum ? readTreeManifestSync(store.layout, entry.checksum) : undefined;
    const placement = tree ? placeTree({ name, treeFiles: tree.files, treeDirs: tree.dirs, skillsDirs: repo.skillsDirs }) : undefined;
    return { name, entry, tree, placement };
  });
}

/** Every repo-relative path some entry accounts for: its files, its placed targets, and everything inside its skill dirs. */
export function ownedPaths(known: KnownEntry[]): { files: Set<string>; dirs: string[] } {
  const files = new Set<string>();
  const dirs: string[] = [];
  for (const k of known) {
    for (const f of k.entry.files) files.add(f);
    for (const e of k.placement?.entries ?? []) files.add(e.target);
    // Skills are tracked by folder: what is inside belongs to the entry.
    for (const f of k.entry.files) if (isSkillDirPath(f)) dirs.push(f);
    if (k.placement) {
      const placed = new Set(k.placement.entries.map((e) => e.target));
      for (const f of k.placement.lockfileFiles) if (!placed.has(f)) dirs.push(f);
    }
  }
  return { files, dirs };
}

/** Lockfile paths that name a skill folder itself (`<skills dir>/<skill>`), as Swamp tracks skills. */
export function isSkillDirPath(f: string): boolean {
  return ALL_SKILLS_DIRS.some((d) => f.startsWith(`${d}/`) && !f.slice(d.length + 1).includes('/'));
}

/**
 * Sync readdir: a walk of thousands of folders as async calls is thousands of thread-pool round
 * trips. `dirs` collects each folder read, as a real folder reached through real folders (a
 * symlink is a Dirent of its own type, never walked into).
 */
function walkFiles(root: string, rel: string, out: string[], skip: (rel: string) => boolean, dirs?: Set<string>): void {
  let items: Dirent[];
  try {
    items = readdirSync(joinSafe(root, rel), { withFileTypes: true });
  } catch {
    return;
  }
  dirs?.add(rel);
  for (const item of items) {
    const childRel = `${rel}/${item.name}`;
    if (skip(childRel)) continue;
    if (item.isDirectory()) walkFiles(root, childRel, out, skip, dirs);
    else out.push(childRel);
  }
}

/**
 * Files in the folders swamp-store manages that no lockfile entry accounts
 * for: under `.swamp/pulled-extensions/`, and inside the bundle folders of
 * installed extensions (other bundle folders are Swamp's own, for local models).
 */
export function untrackedFiles(repo: RepoContext, known: KnownEntry[], dirsSeen?: Set<string>): string[] {
  return untrackedIn(repo, managedView(known), dirsSeen);
}

/** What the walk for untracked files needs to know of the entries: owned files, owned folders, bundle folders. */
export interface ManagedView {
  files: Set<string>;
  /** Folders owned whole (skills): not walked. */
  dirs: string[];
  /** `.swamp/<kind>/<ns>` of installed extensions: walked. */
  bundleRoots: string[];
}

export function managedView(known: KnownEntry[]): ManagedView {
  const { files, dirs } = ownedPaths(known);
  const bundleRoots = new Set<string>();
  for (const k of known) {
    for (const e of k.placement?.entries ?? []) if (e.kind === 'bundle') bundleRoots.add(e.target.split('/').slice(0, 3).join('/'));
  }
  return { files, dirs, bundleRoots: [...bundleRoots] };
}

export function untrackedIn(repo: RepoContext, view: ManagedView, dirsSeen?: Set<string>): string[] {
  // The walk stops at an owned folder itself, so a set lookup per entry is enough (a prefix scan per entry was quadratic).
  const owned = new Set(view.dirs);
  const found: string[] = [];
  walkFiles(repo.repoDir, PULLED_DIR, found, (rel) => rel === STATE_DIR || owned.has(rel), dirsSeen);
  for (const dir of view.bundleRoots) walkFiles(repo.repoDir, dir, found, () => false, dirsSeen);
  return found.filter((f) => !view.files.has(f)).sort();
}

/**
 * Each of `dirs` a real folder (not a symlink); those the walk for untracked files read
 * (`dirsSeen`) need no other look. For the no-op checks: any doubt, an unreadable path
 * too, is a no.
 */
export function foldersPresent(repoDir: string, dirs: Iterable<string>, dirsSeen?: ReadonlySet<string>): boolean {
  for (const d of dirs) {
    if (dirsSeen?.has(d)) continue;
    try {
      if (!lstatSync(joinSafe(repoDir, d)).isDirectory()) return false;
    } catch {
      return false;
    }
  }
  return true;
}
