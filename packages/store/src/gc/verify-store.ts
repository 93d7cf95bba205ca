import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { lazyCacache as cacache } from '../lazy.js';
import { ensureTree } from '../publish.js';
import { markArchiveMissing } from '../archive-missing.js';
import { moveAside } from '../quarantine.js';
import { ensureLayout, type Store } from '../store.js';
import { beginPins } from '../temp-roots.js';
import { TREE_MANIFEST } from '../tree-manifest.js';
import { verifyTreeFull, type TreeProblem } from '../tree-check.js';
import type { ReplacedTree } from '../pristine.js';
import { listArchives, listTrees, type StoredArchive, type StoredTree } from './inventory.js';
import { removeWritable } from './sweep-leftovers.js';
import { takeArchiveOut } from './take-out.js';

/** `missing`/`modified`: a tree file; `corrupt`: archive bytes that fail their integrity; `unreadable`: a tree without a valid `.tree.json`. */
export type StoreProblemKind = 'missing' | 'modified' | 'corrupt' | 'unreadable';

export interface StoreProblem {
  checksum: string;
  /** Absolute path of the damaged file. */
  path: string;
  problem: StoreProblemKind;
}

export interface VerifyStoreOptions {
  repair?: boolean;
  /** Told of each tree --repair moved aside: worktrees that still link its old inodes are to be re-linked (the worktree package does that). */
  onReplaced?: (replaced: ReplacedTree) => void;
  onProgress?: (text: string) => void;
}

export interface VerifyStoreReport {
  /** True when nothing is wrong now: no problem found, or every one repaired. */
  ok: boolean;
  problems: StoreProblem[];
  /** Checksums whose tree was re-extracted or whose damaged archive/tree was removed (to be fetched again). */
  repaired: string[];
}

const discard = () =>
  new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });

/** Re-hashes archive bytes; cacache's read stream fails with EINTEGRITY when they do not match. */
async function archiveProblem(store: Store, a: StoredArchive): Promise<StoreProblem | undefined> {
  try {
    await pipeline((await cacache()).get.stream.byDigest(store.layout.cas, a.integrity), discard());
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined; // collected meanwhile: a fetch brings it back, nothing is damaged
    if (code === 'EINTEGRITY' || code === 'EBADSIZE') return { checksum: a.sha256, path: a.contentPath, problem: 'corrupt' };
    throw err;
  }
}

async function treeProblems(store: Store, t: StoredTree): Promise<{ problems: StoreProblem[]; found: TreeProblem[] }> {
  if (!t.manifest) return { problems: [{ checksum: t.sha256, path: path.join(t.dir, TREE_MANIFEST), problem: 'unreadable' }], found: [] };
  const found = await verifyTreeFull(store.layout, t.manifest);
  return { problems: found.map((p) => ({ checksum: t.sha256, path: path.join(t.dir, ...p.path.split('/')), problem: p.problem })), found };
}

/**
 * `cache verify`: every tree file against `.tree.json`, every archive against
 * its integrity. Everything it looks at is pinned first, so a concurrent gc
 * neither removes it mid-check (a false "missing") nor races a repair.
 *
 * Repair: damaged archive -> removed (content and index keys; the next pull
 * fetches it again). Damaged tree -> moved aside and re-extracted from its
 * archive when that archive is good, else just removed.
 */
export async function verifyStore(store: Store, opts: VerifyStoreOptions = {}): Promise<VerifyStoreReport> {
  await ensureLayout(store);
  const progress = opts.onProgress ?? (() => undefined);
  const pins = await beginPins(store, 'swamp-store cache verify');
  try {
    const seen = [...(await listTrees(store)).map((t) => t.sha256), ...(await listArchives(store)).archives.map((a) => a.sha256)];
    await pins.add([...new Set(seen)]);
    // Listed again after pinning: what a gc removed in between is simply not there.
    const trees = await listTrees(store);
    const archives = (await listArchives(store)).archives.filter((a) => a.content);

    const problems: StoreProblem[] = [];
    const badArchives = new Set<string>();
    let done = 0;
    for (const a of archives) {
      progress(`Checking archives ${++done}/${archives.length}`);
      const p = await archiveProblem(store, a);
      if (p) {
        problems.push(p);
        badArchives.add(a.sha256);
      }
    }
    const badTrees: Array<StoredTree & { found: TreeProblem[] }> = [];
    done = 0;
    for (const t of trees) {
      progress(`Checking trees ${++done}/${trees.length}`);
      const { problems: found, found: relative } = await treeProblems(store, t);
      if (found.length > 0) {
        problems.push(...found);
        badTrees.push({ ...t, found: relative });
      }
    }

    const repaired = new Set<string>();
    if (opts.repair) {
      for (const a of archives.filter((x) => badArchives.has(x.sha256))) {
        const moved = await takeArchiveOut(store, a);
        if (moved) await removeWritable(moved);
        // Its tree may stay: the next pull must bring the archive back rather than skip ingesting it.
        await markArchiveMissing(store, a.sha256);
        repaired.add(a.sha256);
      }
      const goodArchive = new Set(archives.filter((a) => !badArchives.has(a.sha256)).map((a) => a.sha256));
      for (const t of badTrees) {
        progress(`Repairing tree ${t.sha256}`);
        const quarantined = await moveAside(store, t.sha256, 'corrupt');
        const replaced = t.manifest ? { sha256: t.sha256, previous: t.manifest, quarantined, problems: t.found } : undefined;
        if (!goodArchive.has(t.sha256)) {
          repaired.add(t.sha256); // removed: the next pull fetches and unpacks it again
          if (replaced) opts.onReplaced?.(replaced);
          continue;
        }
        try {
          await ensureTree(store, t.sha256, t.manifest ? { expectedName: t.manifest.name } : {});
          repaired.add(t.sha256);
        } catch {
          // The archive went bad or away meanwhile; the tree is out of the way, which is still an improvement.
        }
        if (replaced) opts.onReplaced?.(replaced);
      }
    }
    const ok = problems.every((p) => repaired.has(p.checksum));
    return { ok, problems, repaired: [...repaired].sort() };
  } finally {
    await pins.release();
  }
}
