import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { mapPool, readTreeManifest, sha256File, type Store, type TreeFileRecord, type TreeManifest } from '@swamp-store/store';
import { WorktreeError } from './errors.js';
import { filesChecksumOfTree } from './files-checksum.js';
import type { JournalChange } from './journal.js';
import { makeEntry, type Channel, type LockEntry } from './lockfile.js';
import { placeTree, type Placement } from './placement.js';
import { isSkillDirPath } from './managed-files.js';
import type { PlannedChange, StagedFile, TransactionContext } from './transaction.js';

/** One extension to install: its published store tree and where it came from. */
export interface InstallTarget {
  name: string;
  tree: TreeManifest;
  treeDir: string;
  serverUrl: string;
  channel?: Channel | 'stable' | undefined;
}

export interface PlanInstallOptions {
  store: Store;
  /** Replace files edited by hand instead of refusing. */
  force: boolean;
  /**
   * Adopt a worktree that Swamp itself populated (swamp-store never installed
   * this entry here): files equal to the tree's become links, other files are
   * left as they are and reported in `kept`, and the lockfile entry is kept as
   * Swamp wrote it, byte for byte.
   */
  adopt?: boolean;
  /**
   * `extension install` restores what the lockfile names and never rewrites an
   * entry that already names this tree: the lockfile is committed, and Swamp's
   * own values (its update computes `filesChecksum` before pruning orphans,
   * for one) are not ours to churn.
   */
  keepEntry?: boolean;
}

export function placementOf(ctx: TransactionContext, name: string, tree: TreeManifest): Placement {
  return placeTree({ name, treeFiles: tree.files, treeDirs: tree.dirs, skillsDirs: ctx.repo.skillsDirs });
}

/** How many files an install of this tree places in this repository (a skill counts once per skills dir). */
export function placedFileCount(repo: { skillsDirs: string[] }, name: string, tree: TreeManifest): number {
  return placeTree({ name, treeFiles: tree.files, treeDirs: tree.dirs, skillsDirs: repo.skillsDirs }).entries.length;
}

async function lstatOrUndefined(abs: string) {
  try {
    return await fs.lstat(abs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Paths every other entry of the lockfile claims: never deleted or overwritten on this extension's behalf. */
function claimedByOthers(entries: Record<string, LockEntry>, name: string): Set<string> {
  const claimed = new Set<string>();
  for (const [other, entry] of Object.entries(entries)) if (other !== name) for (const f of entry.files) claimed.add(f);
  return claimed;
}

/**
 * Old placement: what the previously installed version put where, when its
 * tree is still in the store. "Previously installed" is the lockfile's entry
 * AND, when a `git checkout` changed the lockfile since, the tree this
 * worktree really has on disk (materialized.json): both versions' files are
 * ours to replace and, where the new version lacks them, to remove.
 */
async function previousFiles(ctx: TransactionContext, store: Store, name: string, old: LockEntry | undefined) {
  const byTarget = new Map<string, TreeFileRecord[]>();
  const sums = new Set([old?.checksum, ctx.materialized[name]].filter((s): s is string => !!s));
  for (const sum of sums) {
    const tree = await readTreeManifest(store.layout, sum);
    if (!tree) continue;
    const records = new Map(tree.files.map((f) => [f.path, f]));
    for (const e of placementOf(ctx, name, tree).entries) {
      const rec = records.get(e.treePath);
      if (rec) byTarget.set(e.target, [...(byTarget.get(e.target) ?? []), rec]);
    }
  }
  return { byTarget };
}

/**
 * Decides, file by file, what an install must change. A target that already
 * is the tree's inode is left alone (a repeated pull touches nothing); a file
 * that matches neither the old version nor the new one was edited by hand and
 * is only replaced with --force.
 */
export async function planInstall(ctx: TransactionContext, target: InstallTarget, opts: PlanInstallOptions): Promise<PlannedChange | undefined> {
  const { name, tree, treeDir } = target;
  const placement = placementOf(ctx, name, tree);
  const records = new Map(tree.files.map((f) => [f.path, f]));
  const old = ctx.entries[name];
  const previous = await previousFiles(ctx, opts.store, name, old);
  const claimed = claimedByOthers(ctx.entries, name);
  const tracked = new Set(old?.files ?? []);
  const storeDev = (await fs.stat(treeDir)).dev;
  const stage: StagedFile[] = [];
  const edited: string[] = [];

  // One lstat (and rarely a hash) per file, a few in flight; results keep placement order.
  const decisions = await mapPool(placement.entries, 32, async (e): Promise<{ stage?: StagedFile; edited: string[] }> => {
    const rec = records.get(e.treePath);
    if (!rec) throw new WorktreeError('E_TREE', `Store tree ${tree.sha256} lists no record for ${e.treePath}.`, "Run 'swamp-store cache verify --repair'.");
    const abs = await ctx.paths.resolveChecked(e.target);
    const st = await lstatOrUndefined(abs);
    const isBundle = e.kind === 'bundle';
    if (st && isPristineLink(st, rec, storeDev)) return { edited: [] };
    // Swamp's loader rewrites bundles in place: the same archive's bundle is already right.
    if (isBundle && st?.isFile() && old?.checksum === tree.sha256) return { edited: [] };
    const edits: string[] = [];
    if (st && !isBundle && !opts.force && (await isHandEdited(abs, st, storeDev, rec, previous.byTarget.get(e.target) ?? [], tracked.has(e.target) || isUnderTrackedSkill(e.target, tracked), old, tree))) {
      edits.push(e.target);
    }
    if (claimed.has(e.target) && !opts.force) edits.push(e.target);
    const isManifest = e.treePath === 'ext/manifest.yaml';
    return { stage: { source: path.join(treeDir, e.treePath), target: e.target, privateCopy: isBundle, copyMode: isManifest ? 0o444 : rec.mode | 0o200 }, edited: edits };
  });
  const kept: string[] = [];
  for (const d of decisions) {
    if (opts.adopt && d.edited.length > 0) {
      kept.push(...new Set(d.edited));
      continue;
    }
    if (d.stage) stage.push(d.stage);
    edited.push(...d.edited);
  }

  if (edited.length > 0) {
    const shown = edited.slice(0, 10).join(', ') + (edited.length > 10 ? `, and ${edited.length - 10} more` : '');
    throw new WorktreeError(
      'E_MODIFIED',
      `${name}: ${edited.length} file(s) were edited by hand or are not swamp-store's: ${shown}.`,
      `Keep your changes elsewhere, then run 'swamp-store extension install --force' to put back the lockfile's files (or pull ${name} again with --force).`,
    );
  }

  const newTargets = new Set([...placement.entries.map((e) => e.target), ...placement.lockfileFiles]);
  const oldTargets = new Set([...(old?.files ?? []), ...previous.byTarget.keys()]);
  // A skill folder is never removed wholesale: only the files the old tree put there, then the folder if empty.
  // A lockfile could name a user's own skill folder; the store tree is the proof of what is ours.
  const gone = [...oldTargets].filter((t) => !newTargets.has(t) && !claimed.has(t) && !isInsideAny(t, newSkillDirs(placement)));
  const orphans = gone.filter((t) => !isSkillDirPath(t));
  const made = makeEntry(
    { version: tree.version, files: placement.lockfileFiles, include: tree.include, checksum: tree.sha256, filesChecksum: filesChecksumOfTree(tree.files), serverUrl: target.serverUrl, channel: target.channel },
    old,
  );
  // Adopting or restoring changes which inodes back the files, never what the lockfile says.
  const entry = (opts.adopt || opts.keepEntry) && old?.checksum === tree.sha256 ? old : made;
  const change: JournalChange = {
    name,
    entry,
    moves: stage.map((s) => s.target),
    orphans,
    dirs: placement.dirs,
    pruneFrom: [...new Set([...gone.filter(isSkillDirPath), ...orphans.map((o) => path.posix.dirname(o))])].sort((a, b) => b.length - a.length),
  };
  if (stage.length === 0 && orphans.length === 0 && sameEntry(old, entry) && (await allExist(ctx, placement.dirs))) return kept.length > 0 ? { change: { ...change, moves: [], orphans: [], pruneFrom: [] }, stage: [], kept, noop: true } : undefined;
  return { change, stage, ...(kept.length > 0 ? { kept } : {}) };
}

function newSkillDirs(placement: Placement): string[] {
  return placement.lockfileFiles.filter((f) => !placement.entries.some((e) => e.target === f));
}

function isInsideAny(p: string, dirs: string[]): boolean {
  return dirs.some((d) => p === d || p.startsWith(`${d}/`));
}

function isUnderTrackedSkill(target: string, tracked: Set<string>): boolean {
  for (const t of tracked) if (target.startsWith(`${t}/`)) return true;
  return false;
}

/**
 * True when `st` IS the store file of `rec`, still as published. The device
 * too: inode numbers repeat across filesystems (a store on tmpfs, copies in
 * the worktree), so an inode match alone could skip a file of other content.
 * Size and mtime too: an edit made in place through the hardlink changes the
 * store's copy along with the worktree's, so the inode still matches; without
 * this the next upgrade would discard that edit silently instead of refusing.
 */
function isPristineLink(st: Stats, rec: TreeFileRecord, storeDev: number): boolean {
  return st.isFile() && st.dev === storeDev && st.ino === rec.ino && st.size === rec.size && st.mtimeMs === rec.mtimeMs;
}

async function isHandEdited(
  abs: string,
  st: Stats,
  storeDev: number,
  next: TreeFileRecord,
  prevs: TreeFileRecord[],
  tracked: boolean,
  old: LockEntry | undefined,
  tree: TreeManifest,
): Promise<boolean> {
  if (!st.isFile()) return true;
  if (prevs.some((prev) => isPristineLink(st, prev, storeDev))) return false;
  const hash = await sha256File(abs);
  if (hash === next.sha256 || prevs.some((prev) => hash === prev.sha256)) return false;
  // The old tree is gone from the store: a tracked file of another version is taken as that version's.
  if (prevs.length === 0 && tracked && old && old.version !== tree.version) return false;
  return true;
}

function sameEntry(a: LockEntry | undefined, b: LockEntry): boolean {
  return !!a && JSON.stringify(a) === JSON.stringify(b);
}

async function allExist(ctx: TransactionContext, dirs: string[]): Promise<boolean> {
  for (const d of dirs) if (!(await lstatOrUndefined(ctx.paths.resolve(d)))?.isDirectory()) return false;
  return true;
}
