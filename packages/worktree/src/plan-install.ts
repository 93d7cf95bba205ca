import type { Stats } from 'node:fs';
import path from 'node:path';
import { joinSafe, lstatSyncOrUndefined } from '@swamp-store/primitives';
import { fileRecordsByPath, readTreeManifest, sha256File, type Store, type TreeFileRecord, type TreeManifest } from '@swamp-store/store';
import { WorktreeError } from './errors.js';
import { filesChecksumOfTree } from './files-checksum.js';
import type { JournalChange } from './journal.js';
import { makeEntry, type Channel, type LockEntry } from './lockfile.js';
import { bundleDir, BUNDLE_KINDS, extensionDir, placeTree, type Placement } from './placement.js';
import { isSkillDirPath } from './managed-files.js';
import { isPristineLink, storeDevice } from './store-inode.js';
import { isAtOrUnderAny, isUnderAny } from './rel-path.js';
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

/** Path -> the entries listing it, built once per lockfile read (a per-extension rebuild was quadratic in a 400-extension install). */
const claimsByEntries = new WeakMap<Record<string, LockEntry>, Map<string, string[]>>();

/** True when an entry other than `name` lists `target`: never deleted or overwritten on this extension's behalf. */
function claimedByOther(entries: Record<string, LockEntry>, name: string, target: string): boolean {
  let claims = claimsByEntries.get(entries);
  if (!claims) {
    claims = new Map();
    for (const [owner, entry] of Object.entries(entries)) for (const f of entry.files) claims.set(f, [...(claims.get(f) ?? []), owner]);
    claimsByEntries.set(entries, claims);
  }
  const owners = claims.get(target);
  return !!owners && owners.some((o) => o !== name);
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
    const records = fileRecordsByPath(tree);
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
  const records = fileRecordsByPath(tree);
  const old = ctx.entries[name];
  const previous = await previousFiles(ctx, opts.store, name, old);
  const claimed = (target: string) => claimedByOther(ctx.entries, name, target);
  const tracked = new Set(old?.files ?? []);
  const storeDev = storeDevice(opts.store);
  const stage: StagedFile[] = [];
  const edited: string[] = [];
  const kept: string[] = [];
  // Folders that do not exist yet are created whole by one rename: nothing inside them needs a look.
  const dirMoves = missingRoots(ctx, name, placement);

  // One sync lstat per file that a decision needs (none inside a new folder); rarely a hash.
  for (const e of placement.entries) {
    const rec = records.get(e.treePath);
    if (!rec) throw new WorktreeError('E_TREE', `Store tree ${tree.sha256} lists no record for ${e.treePath}.`, "Run 'swamp-store cache verify --repair'.");
    const isBundle = e.kind === 'bundle';
    const isManifest = e.treePath === 'ext/manifest.yaml';
    const staged: StagedFile = { source: joinSafe(treeDir, e.treePath), target: e.target, privateCopy: isBundle, copyMode: isManifest ? 0o444 : rec.mode | 0o200 };
    const edits: string[] = [];
    if (claimed(e.target) && !opts.force) edits.push(e.target);
    if (!isUnderAny(e.target, dirMoves)) {
      const abs = ctx.paths.resolveCheckedSync(e.target);
      const st = lstatSyncOrUndefined(abs);
      if (st && isPristineLink(st, rec, storeDev)) continue;
      // Swamp's loader rewrites bundles in place: the same archive's bundle is already right.
      if (isBundle && st?.isFile() && old?.checksum === tree.sha256) continue;
      if (st && !isBundle && !opts.force && (await isHandEdited(abs, st, storeDev, rec, previous.byTarget.get(e.target) ?? [], tracked.has(e.target) || isUnderAny(e.target, tracked), old, tree))) {
        edits.push(e.target);
      }
    }
    // Adopting a worktree Swamp populated: a file that differs is left as it is and reported.
    if (opts.adopt && edits.length > 0) {
      kept.push(...new Set(edits));
      continue;
    }
    edited.push(...edits);
    stage.push(staged);
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
  const skillDirs = newSkillDirs(placement);
  const gone = [...oldTargets].filter((t) => !newTargets.has(t) && !claimed(t) && !isAtOrUnderAny(t, skillDirs));
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
    ...(dirMoves.length > 0 ? { dirMoves, dirsStaged: true } : {}),
    orphans,
    dirs: placement.dirs,
    pruneFrom: [...new Set([...gone.filter(isSkillDirPath), ...orphans.map((o) => path.posix.dirname(o))])].sort((a, b) => b.length - a.length),
  };
  if (stage.length === 0 && orphans.length === 0 && sameEntry(old, entry) && allExist(ctx, placement.dirs)) return kept.length > 0 ? { change: { ...change, moves: [], orphans: [], pruneFrom: [] }, stage: [], kept, noop: true } : undefined;
  return { change, stage, ...(kept.length > 0 ? { kept } : {}) };
}

function newSkillDirs(placement: Placement): string[] {
  let dirs = skillDirsOf.get(placement);
  if (!dirs) {
    const placed = new Set(placement.entries.map((e) => e.target));
    dirs = placement.lockfileFiles.filter((f) => !placed.has(f));
    skillDirsOf.set(placement, dirs);
  }
  return dirs;
}
/** Placements are shared per tree (placement.ts): so is what is derived from them. */
const skillDirsOf = new WeakMap<Placement, string[]>();


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

function allExist(ctx: TransactionContext, dirs: string[]): boolean {
  for (const d of dirs) if (!lstatSyncOrUndefined(ctx.paths.resolve(d))?.isDirectory()) return false;
  return true;
}

/**
 * The folders this placement fills that do not exist at all: the extension's
 * own folder, each bundle namespace, each skill folder. Nothing is on disk
 * inside such a folder, so one rename of the staged folder cannot replace
 * anything; a nested extension's folder that exists makes its parent's exist.
 */
function missingRoots(ctx: TransactionContext, name: string, placement: Placement): string[] {
  const candidates = [extensionDir(name), ...BUNDLE_KINDS.map((k) => bundleDir(name, k)), ...newSkillDirs(placement)];
  const out: string[] = [];
  for (const dir of candidates) {
    const prefix = `${dir}/`;
    const has = placement.entries.some((e) => e.target.startsWith(prefix));
    if (!has || isUnderAny(dir, out)) continue;
    if (lstatSyncOrUndefined(ctx.paths.resolveCheckedSync(dir)) === undefined) out.push(dir);
  }
  return out;
}
