import { readdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { withLock } from '@swamp-store/lock';
import { lstatSyncOrUndefined } from '@swamp-store/primitives';
import {
  beginPins,
  checkTreeFast,
  ensureLayout,
  ensurePristineTree,
  ensureTree,
  fileRecordsByPath,
  listRoots,
  readTreeManifest,
  treeDir,
  type EnsureTreeOptions,
  type PristineTreeResult,
  type ReplacedTree,
  type Store,
  type TreeManifest,
  type TreeProblem,
  type TreeProblemReason,
  TREE_MANIFEST,
} from '@swamp-store/store';
import { lockfileLockPath } from './lock-leftovers.js';
import { readLockfile } from './lockfile.js';
import { readMaterialized } from './materialized.js';
import { placeTree, type PlacementEntry } from './placement.js';
import { resolveRepo, type RepoContext } from './repo.js';
import { isStoreInode, storeDevice } from './store-inode.js';

/**
 * Swamp writes into a linked worktree: `swamp extension update` (and `pull
 * --force`) copies each new file onto the existing path, that is, through the
 * hardlink into the store's inode, and with it into every worktree that links
 * the same file. See docs/swamp-writes-into-linked-worktree.md.
 *
 * The repair: the tree whose file changed is moved out of `trees/` (the
 * written inode goes with it; worktrees that hold it keep it), a pristine tree
 * is unpacked from the archive, and every registered worktree whose lockfile
 * still names that tree has its links to the old inodes replaced by links to
 * the new ones, under that worktree's lockfile lock.
 *
 * Who keeps the written inode: a worktree whose lockfile no longer names the
 * tree (Swamp updated it there) is never touched. A written file that exactly
 * one worktree naming the tree still links, with no other link outside the
 * store (nlink says so), was written by that worktree: it keeps it as its own
 * file, a hand edit like any other. Where several worktrees naming the tree
 * share it, the writer cannot be known; the file is store content, never one
 * worktree's edit, so all of them get the pristine file and the written copy
 * stays in the store's quarantine, named in the warning.
 */
export interface StoreRepairReport {
  sha256: string;
  name: string;
  version: string;
  /** Worktree-relative paths (as the extension places them) of the files found written, and what gave them away. */
  files: Array<{ path: string; reason: TreeProblemReason | undefined }>;
  /** Where the replaced tree (with the written inodes) was moved, under the store's quarantine. */
  quarantined: string | undefined;
  /** Worktrees whose links were replaced by links to the pristine tree. */
  relinked: Array<{ repoDir: string; files: number }>;
  /** Worktrees that keep a written file as their own (their lockfile no longer names the tree, or they were its only holder). */
  keptBy: Array<{ repoDir: string; files: string[] }>;
  /** False when the archive was gone, so no pristine tree could be unpacked; the next pull fetches it again. */
  restored: boolean;
}

type Reporter = (report: StoreRepairReport) => void;
let reporter: Reporter | undefined;

/** The CLI sets this to print one warning per repair, whichever code path found it. */
export function setStoreRepairReporter(fn: Reporter | undefined): void {
  reporter = fn;
}

/**
 * Repairs of one tree are serialised by `locks/repair-<sha>`: the process that
 * replaces a tree holds it until every worktree naming it is re-linked, and a
 * process that finds a replaced tree's copy in the quarantine waits for it
 * before planning an install (else it would see the old inode in its own
 * worktree, not yet re-linked, as a hand edit). Taken only when a tree is
 * found written or a quarantined copy of it exists; never while holding a
 * worktree lock (it takes worktree locks inside), so no lock cycle.
 */
function repairLockPath(store: Store, sha256: string): string {
  return path.join(store.layout.locks, `repair-${sha256}`);
}

async function withRepairLock<T>(store: Store, sha256: string, fn: () => Promise<T>): Promise<T> {
  await ensureLayout(store);
  return withLock(repairLockPath(store, sha256), fn);
}

/** Quarantined copies of a tree (`<sha>-tampered-...`, `<sha>-corrupt-...`): worktrees may still link their inodes. */
async function quarantinedCopies(store: Store, sha256: string): Promise<string[]> {
  // Synchronous: asked once or twice per tree of every command (usually of an empty folder), where
  // 100 thread-pool round trips per install of 100 cost more than the readdirs.
  let names: string[];
  try {
    names = readdirSync(store.layout.quarantine);
  } catch {
    names = [];
  }
  return names.filter((n) => n.startsWith(`${sha256}-tampered-`) || n.startsWith(`${sha256}-corrupt-`)).map((n) => path.join(store.layout.quarantine, n));
}

/**
 * Trees (per store) this process found intact in healWrittenThrough, and when:
 * a CLI process runs one command, so a check seconds old is this command's.
 */
const checkedAt = new Map<string, number>();
const checkedThisCommand = {
  has: (key: string) => Date.now() - (checkedAt.get(key) ?? -Infinity) < 2_000,
  add: (key: string) => void checkedAt.set(key, Date.now()),
};

/**
 * `ensurePristineTree`, and when it had to replace a written tree, the
 * re-linking of every worktree that names it. Call with no worktree lock held
 * (it takes each worktree's lock in turn).
 */
export async function ensureTreeRelinked(store: Store, sha256: string, options: EnsureTreeOptions = {}): Promise<PristineTreeResult> {
  const first = await ensureTree(store, sha256, options);
  // healWrittenThrough checked this tree a moment ago in this command: one stat pass per tree per command is enough.
  if (checkedThisCommand.has(`${store.layout.base}\0${sha256}`)) return { ...first, repaired: [] };
  const clean = (await checkTreeFast(store.layout, first.tree)).length === 0;
  if (clean && (await quarantinedCopies(store, sha256)).length === 0) return { ...first, repaired: [] };
  return withRepairLock(store, sha256, async () => {
    const result = await ensurePristineTree(store, sha256, options);
    if (result.replaced) await relinkReplacedTree(store, result.replaced);
    return result;
  });
}

/**
 * The check every worktree command runs first: each tree this worktree names
 * (lockfile and what is really on disk) is stat-checked; a written one is
 * replaced and re-linked everywhere. A tree replaced earlier (its copy still
 * in the quarantine) gets this worktree's leftover links to it fixed, in case
 * the process that replaced it died before it got here. Costs one stat per
 * file and one readdir when all is well.
 */
export async function healWrittenThrough(repo: RepoContext, store: Store): Promise<StoreRepairReport[]> {
  let entries: Awaited<ReturnType<typeof readLockfile>>['entries'];
  try {
    entries = (await readLockfile(repo.lockfilePath)).entries;
  } catch {
    return []; // a broken lockfile is the command's own error to report
  }
  const sums = new Set<string>();
  for (const e of Object.values(entries)) if (e.checksum) sums.add(e.checksum);
  for (const sum of Object.values(await readMaterialized(repo.repoDir))) sums.add(sum);
  const reports: StoreRepairReport[] = [];
  let pins: Awaited<ReturnType<typeof beginPins>> | undefined;
  try {
    for (const sum of sums) {
      const tree = await readTreeManifest(store.layout, sum);
      const written = tree ? (await checkTreeFast(store.layout, tree)).length > 0 : false;
      const copies = await quarantinedCopies(store, sum);
      if (!written && copies.length === 0) {
        if (tree) checkedThisCommand.add(`${store.layout.base}\0${sum}`);
        continue;
      }
      const repairOne = async (): Promise<void> => {
        // Pinned before it is replaced: gc must not take the archive we re-extract from.
        pins ??= await beginPins(store, 'swamp-store store repair');
        await pins.add([sum]);
        await withRepairLock(store, sum, async () => {
          // A repairer killed between moving the tree aside and unpacking it again: unpack it now, then re-link.
          const now = (await readTreeManifest(store.layout, sum)) ?? (await unpackAgain(store, sum, tree?.name ?? (await quarantinedName(copies))));
          const problems = now ? await checkTreeFast(store.layout, now) : [];
          if (now && problems.length > 0) {
            const result = await ensurePristineTree(store, sum, { expectedName: now.name }).catch(() => undefined);
            const replaced = result?.replaced ?? (await replacedWithoutArchive(store, now, problems));
            if (replaced) reports.push(await relinkReplacedTree(store, replaced, repo));
          }
          for (const dir of await quarantinedCopies(store, sum)) {
            const report = await relinkFromQuarantine(store, dir, sum, repo);
            if (report) reports.push(report);
          }
        });
      };
      try {
        await repairOne();
      } catch (err) {
        // A store this user may only read cannot be repaired by this user: the command goes on with what it has.
        if (!['EACCES', 'EPERM', 'EROFS'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
      }
    }
  } finally {
    await pins?.release();
  }
  return reports;
}

async function unpackAgain(store: Store, sha256: string, expectedName: string | undefined): Promise<TreeManifest | undefined> {
  try {
    return (await ensureTree(store, sha256, expectedName ? { expectedName } : {})).tree;
  } catch {
    return undefined; // the archive is gone too: the worktree keeps what it has; the next pull fetches it again
  }
}

async function quarantinedName(dirs: string[]): Promise<string | undefined> {
  for (const dir of dirs) {
    const m = await readQuarantined(dir);
    if (m) return m.name;
  }
  return undefined;
}

async function readQuarantined(dir: string): Promise<TreeManifest | undefined> {
  try {
    const m = JSON.parse(await fs.readFile(path.join(dir, TREE_MANIFEST), 'utf8')) as TreeManifest;
    return typeof m.name === 'string' && Array.isArray(m.files) ? m : undefined;
  } catch {
    return undefined;
  }
}

/**
 * This worktree still links files of a quarantined copy (its repairer died
 * before re-linking it, or gc has not swept the copy yet and all is done):
 * re-link what it still holds, by the same rules, in this worktree only.
 */
async function relinkFromQuarantine(store: Store, dir: string, sha256: string, repo: RepoContext): Promise<StoreRepairReport | undefined> {
  const previous = await readQuarantined(dir);
  if (!previous || previous.sha256 !== sha256) return undefined;
  const storeDev = storeDevice(store);
  const records = fileRecordsByPath(previous);
  const holds = placementIn(repo, previous).some((e) => {
    const rec = records.get(e.treePath);
    if (!rec || e.kind === 'bundle') return false;
    const st = lstatSyncOrUndefined(path.join(repo.repoDir, e.target));
    return isStoreInode(st, rec, storeDev);
  });
  if (!holds) return undefined;
  const problems = await checkTreeFast({ ...store.layout, trees: path.dirname(dir) }, { ...previous, sha256: path.basename(dir) });
  const decided = await readDecision(dir);
  // No decision recorded: its repairer died before deciding; decide now with every worktree in view, as it would have.
  const report = await relinkReplacedTree(store, { sha256, previous, quarantined: dir, problems }, repo, decided ? { only: repo, decided } : {});
  return report.relinked.length > 0 ? report : undefined;
}

const DECISION = '.relink-decision.json';

async function writeDecision(dir: string, keep: Map<string, Set<string>>): Promise<void> {
  const doc = Object.fromEntries([...keep].map(([repoDir, paths]) => [repoDir, [...paths].sort()]));
  const tmp = path.join(dir, `${DECISION}.${process.pid}.tmp`);
  try {
    await fs.writeFile(tmp, JSON.stringify(doc));
    await fs.rename(tmp, path.join(dir, DECISION));
  } catch {
    // best effort: without it a later command decides again
  }
}

async function readDecision(dir: string): Promise<Record<string, string[]> | undefined> {
  try {
    const doc = JSON.parse(await fs.readFile(path.join(dir, DECISION), 'utf8')) as unknown;
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
    const out: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(doc)) if (Array.isArray(v)) out[k] = v.filter((x): x is string => typeof x === 'string');
    return out;
  } catch {
    return undefined;
  }
}

/** ensurePristineTree failed after moving the tree aside (its archive is gone): the move still happened. */
async function replacedWithoutArchive(store: Store, tree: TreeManifest, problems: TreeProblem[]): Promise<ReplacedTree | undefined> {
  if (await readTreeManifest(store.layout, tree.sha256)) return undefined; // not ours to report: someone else replaced it
  return { sha256: tree.sha256, previous: tree, quarantined: undefined, problems };
}

interface Holder {
  repo: RepoContext;
  names: boolean;
  /** Placed entries of the old tree that this worktree still links (same inode as the replaced tree's file). */
  linked: PlacementEntry[];
}

/** Re-links every registered worktree naming a replaced tree; reports (and tells the reporter) what it did. */
export async function relinkReplacedTree(
  store: Store,
  replaced: ReplacedTree,
  current?: RepoContext,
  opts: { only?: RepoContext; decided?: Record<string, string[]> } = {},
): Promise<StoreRepairReport> {
  const { previous } = replaced;
  const fresh = await readTreeManifest(store.layout, replaced.sha256);
  const storeDev = storeDevice(store);
  const written = new Set(replaced.problems.filter((p) => p.problem === 'modified').map((p) => p.path));
  const holders = await findHolders(store, previous, storeDev, current, opts.only);

  // A written file held by exactly one worktree naming the tree, and linked nowhere else outside the store, is that worktree's own edit.
  // Decided once, with every worktree in view, and recorded beside the quarantined copy before anything is re-linked: a later
  // command finishing a killed repairer's work would otherwise see the last holder left as the only one.
  const keep = new Map<string, Set<string>>(); // repoDir -> tree paths it keeps
  if (opts.decided) {
    for (const [repoDir, paths] of Object.entries(opts.decided)) keep.set(repoDir, new Set(paths));
  } else {
    for (const treePath of written) {
      const outside = await linksOutsideQuarantine(replaced.quarantined, treePath);
      const naming = holders.filter((h) => h.names && h.linked.some((e) => e.treePath === treePath));
      const single = naming.length === 1 ? naming[0] : undefined;
      if (single && outside === 1) keep.set(single.repo.repoDir, (keep.get(single.repo.repoDir) ?? new Set()).add(treePath));
    }
    if (replaced.quarantined) await writeDecision(replaced.quarantined, keep);
  }

  const relinked: StoreRepairReport['relinked'] = [];
  const keptBy: StoreRepairReport['keptBy'] = [];
  for (const h of holders) {
    const kept = h.linked.filter((e) => written.has(e.treePath) && (!h.names || keep.get(h.repo.repoDir)?.has(e.treePath)));
    if (kept.length > 0) keptBy.push({ repoDir: h.repo.repoDir, files: kept.map((e) => e.target) });
    if (!h.names || !fresh) continue;
    const n = await relinkWorktree(store, h.repo, previous, fresh, storeDev, keep.get(h.repo.repoDir) ?? new Set());
    if (n > 0) relinked.push({ repoDir: h.repo.repoDir, files: n });
  }

  const placedAt = new Map(placeTree({ name: previous.name, treeFiles: previous.files, treeDirs: previous.dirs, skillsDirs: current?.skillsDirs ?? ['.claude/skills'] }).entries.map((e) => [e.treePath, e.target]));
  const report: StoreRepairReport = {
    sha256: replaced.sha256,
    name: previous.name,
    version: previous.version,
    files: replaced.problems.map((p) => ({ path: placedAt.get(p.path) ?? p.path, reason: p.reason })),
    quarantined: replaced.quarantined,
    relinked,
    keptBy,
    restored: Boolean(fresh),
  };
  // The fix-up pass of a later command says something only when it changed something.
  if (!opts.only || relinked.length > 0) reporter?.(report);
  return report;
}

/** Links to a quarantined file other than the quarantine's own; undefined when unknown (another process moved the tree). */
async function linksOutsideQuarantine(quarantined: string | undefined, treePath: string): Promise<number | undefined> {
  if (!quarantined) return undefined;
  try {
    return (await fs.lstat(path.join(quarantined, ...treePath.split('/')))).nlink - 1;
  } catch {
    return undefined;
  }
}

/** Every live registered worktree (and the current one) with what it still links of the old tree. */
async function findHolders(store: Store, previous: TreeManifest, storeDev: number, current: RepoContext | undefined, only: RepoContext | undefined): Promise<Holder[]> {
  const repos = new Map<string, RepoContext>();
  if (current) repos.set(current.repoDir, current);
  for (const { record } of only ? [] : await listRoots(store)) {
    if (repos.has(record.repoDir)) continue;
    const repo = await rootContext(record.repoDir, record.lockfilePath);
    if (repo) repos.set(repo.repoDir, repo);
  }
  const records = fileRecordsByPath(previous);
  const holders: Holder[] = [];
  for (const repo of repos.values()) {
    const names = await namesTree(repo, previous);
    const linked: PlacementEntry[] = [];
    for (const e of placementIn(repo, previous)) {
      const rec = records.get(e.treePath);
      if (!rec || e.kind === 'bundle') continue;
      // Another user's worktree this user cannot read holds nothing it could re-link: it must not stop this repair.
      const st = await fs.lstat(path.join(repo.repoDir, e.target)).catch(() => undefined);
      if (isStoreInode(st, rec, storeDev)) linked.push(e);
    }
    if (names || linked.length > 0) holders.push({ repo, names, linked });
  }
  return holders;
}

async function rootContext(repoDir: string, lockfilePath: string): Promise<RepoContext | undefined> {
  try {
    const repo = await resolveRepo({ repoDir, cwd: repoDir, settings: {} });
    return { ...repo, lockfilePath };
  } catch {
    return undefined; // gone, or its .swamp.yaml is broken: that worktree's own commands will say so
  }
}

async function namesTree(repo: RepoContext, tree: TreeManifest): Promise<boolean> {
  try {
    return (await readLockfile(repo.lockfilePath)).entries[tree.name]?.checksum === tree.sha256;
  } catch {
    return false;
  }
}

function placementIn(repo: RepoContext, tree: TreeManifest): PlacementEntry[] {
  return placeTree({ name: tree.name, treeFiles: tree.files, treeDirs: tree.dirs, skillsDirs: repo.skillsDirs }).entries;
}

/**
 * Under the worktree's lockfile lock (Swamp's own writer excluded too), with
 * the lockfile read again: each file that is still the old tree's inode is
 * replaced by a link to the pristine one, via a temp name and rename, so the
 * path is never missing and never written through.
 */
async function relinkWorktree(store: Store, repo: RepoContext, previous: TreeManifest, fresh: TreeManifest, storeDev: number, keep: Set<string>): Promise<number> {
  await fs.mkdir(path.dirname(repo.lockfilePath), { recursive: true });
  return withLock(lockfileLockPath(repo), async () => {
    if (!(await namesTree(repo, previous))) return 0;
    const old = new Map(previous.files.map((f) => [f.path, f]));
    const now = new Set(fresh.files.map((f) => f.path));
    const root = treeDir(store.layout, fresh.sha256);
    let n = 0;
    for (const e of placementIn(repo, previous)) {
      const rec = old.get(e.treePath);
      if (!rec || e.kind === 'bundle' || keep.has(e.treePath) || !now.has(e.treePath)) continue;
      const abs = path.join(repo.repoDir, e.target);
      const st = await fs.lstat(abs).catch(() => undefined);
      if (!isStoreInode(st, rec, storeDev)) continue;
      const tmp = `${abs}.swamp-store-relink.${process.pid}.tmp`;
      await fs.rm(tmp, { force: true });
      await fs.link(path.join(root, ...e.treePath.split('/')), tmp);
      await fs.rename(tmp, abs);
      n++;
    }
    return n;
  });
}
