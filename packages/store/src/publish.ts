import { mapFsError } from '@swamp-store/primitives';
import fs from 'node:fs/promises';
import path from 'node:path';
import { withLock } from '@swamp-store/lock';
import { findArchive, openArchiveStream, recordVersion, type ArchiveInfo } from './archives.js';
import { StoreError } from './errors.js';
import type { ExtractResult } from './extract/index.js';
import { extractArchive } from './extract-lazy.js';
import { digestLockPath, tmpName, treeDir } from './layout.js';
import { mapPool } from './pool.js';
import { ensureLayout, type Store } from './store.js';
import { storeReadOnly } from './store-access.js';
import { readTreeManifest, TREE_MANIFEST, type TreeFileRecord, type TreeManifest } from './tree-manifest.js';
import { moveAside } from './quarantine.js';

/** `extracted`: this process unpacked it; `waited`: another process was unpacking it; `hit`: it was there. */
export type TreeStatus = 'extracted' | 'waited' | 'hit';

export interface EnsureTreeResult {
  status: TreeStatus;
  tree: TreeManifest;
  dir: string;
}

export interface EnsureTreeOptions {
  /** The name the caller asked for; a manifest naming another extension is refused. */
  expectedName?: string;
}

/**
 * Publish-once: the unpacked tree for an archive digest appears exactly once,
 * complete, or not at all. The digest lock makes extraction exactly-once across
 * processes; the final rename makes it all-or-nothing even without the lock (a
 * SIGKILL leaves only a staging folder in tmp/, which no reader looks at).
 */
export async function ensureTree(store: Store, sha256: string, options: EnsureTreeOptions = {}): Promise<EnsureTreeResult> {
  const { layout } = store;
  const existing = await readTreeManifest(layout, sha256);
  if (existing) return { status: 'hit', tree: existing, dir: treeDir(layout, sha256) };
  if (store.readOnly) throw storeReadOnly(layout.root, `the unpacked extension ${options.expectedName ?? ''} (archive ${sha256.slice(0, 12)})`.replace('  ', ' '));
  await ensureLayout(store);
  // Waiters watch for the tree while they wait, instead of queueing through the
  // lock one by one only to read the manifest the extractor just published.
  const published = new AbortController();
  const watch = setInterval(() => {
    void readTreeManifest(layout, sha256).then((t) => t && published.abort());
  }, 25);
  try {
    return await withLock(
      digestLockPath(layout, sha256),
      async (ctx) => {
        const now = await readTreeManifest(layout, sha256);
        if (now) return { status: ctx.contended ? 'waited' : 'hit', tree: now, dir: treeDir(layout, sha256) } as EnsureTreeResult;
        const archive = await findArchive(store, sha256);
        if (!archive) {
          throw new StoreError(
            'E_NOT_FOUND',
            `Archive ${sha256} is not in the store.`,
            "Pull the extension again (e.g. 'swamp-store extension pull <ref>') so its archive is fetched.",
          );
        }
        const { tree, ours } = await extractAndPublish(store, archive, options, ctx.assertHeld);
        // Archives pulled by path or URL learn their name only now; index it for `cache ls` and offline pins.
        if (!archive.name) await recordVersion(store, tree.name, tree.version, archive).catch(() => undefined);
        return { status: ours ? 'extracted' : 'waited', tree, dir: treeDir(layout, sha256) } as EnsureTreeResult;
      },
      { signal: published.signal },
    );
  } catch (err) {
    if (published.signal.aborted) {
      const tree = await readTreeManifest(layout, sha256);
      if (tree) return { status: 'waited', tree, dir: treeDir(layout, sha256) };
    }
    throw err;
  } finally {
    clearInterval(watch);
  }
}

async function extractAndPublish(
  store: Store,
  archive: ArchiveInfo,
  options: EnsureTreeOptions,
  assertHeld: () => void,
): Promise<{ tree: TreeManifest; ours: boolean }> {
  const { layout } = store;
  const staging = path.join(layout.tmp, tmpName('tree'));
  await fs.mkdir(staging, { recursive: true });
  try {
    const result = await extractFromStore(store, archive, staging, options);
    const tree = await sealTree(staging, archive, result);
    assertHeld();
    const winner = await publishDir(store, staging, archive.sha256);
    return winner ? { tree: winner, ours: false } : { tree, ours: true };
  } catch (err) {
    await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw mapFsError(err, 'unpacking an archive into the store', StoreError);
  }
}

async function extractFromStore(store: Store, archive: ArchiveInfo, dest: string, options: EnsureTreeOptions): Promise<ExtractResult> {
  try {
    return await extractArchive({
      source: await openArchiveStream(store, archive),
      compressedSize: archive.size,
      dest,
      limits: store.limits,
      expectedName: options.expectedName,
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EINTEGRITY') {
      throw new StoreError(
        'E_INTEGRITY',
        `The stored archive ${archive.sha256} is corrupt.`,
        "Run 'swamp-store cache verify --repair', then pull again.",
        { cause: err },
      );
    }
    throw err;
  }
}

function isBinary(relPath: string, binaries: readonly string[]): boolean {
  if (!relPath.startsWith('ext/')) return false;
  const inExt = relPath.slice(4);
  return binaries.some((b) => inExt === b || inExt === `files/${b}`);
}

/**
 * Files were written read-only (a write through a worktree hardlink would
 * change the store for every worktree) with their stat signature taken at
 * close; only declared binaries need a chmod here. `.tree.json` is written last.
 */
async function sealTree(staging: string, archive: ArchiveInfo, result: ExtractResult): Promise<TreeManifest> {
  const { manifest } = result;
  const files = await mapPool(result.files, 32, async (f): Promise<TreeFileRecord> => {
    if (!isBinary(f.path, manifest.binaries)) return { path: f.path, size: f.size, mode: 0o444, sha256: f.sha256, ino: f.ino, mtimeMs: f.mtimeMs, ctimeMs: f.ctimeMs };
    const abs = path.join(staging, f.path);
    await fs.chmod(abs, 0o555);
    const st = await fs.stat(abs);
    return { path: f.path, size: st.size, mode: 0o555, sha256: f.sha256, ino: st.ino, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
  });
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const tree: TreeManifest = {
    formatVersion: 1,
    sha256: archive.sha256,
    name: manifest.name,
    version: manifest.version,
    dependencies: manifest.dependencies,
    binaries: manifest.binaries,
    include: manifest.include,
    dirs: [...result.dirs].sort(),
    files,
    publishedAt: new Date().toISOString(),
  };
  const manifestPath = path.join(staging, TREE_MANIFEST);
  await fs.writeFile(manifestPath, JSON.stringify(tree), { mode: 0o444 });
  return tree;
}

/**
 * Atomic publish. Returns undefined when our staging folder became the tree,
 * or the tree another process published first (only possible if our lock was
 * lost): then our staging is discarded and ITS manifest, whose inodes are the
 * ones on disk, is the one to use. A leftover without a valid `.tree.json` is
 * moved aside first.
 */
async function publishDir(store: Store, staging: string, sha256: string): Promise<TreeManifest | undefined> {
  const target = treeDir(store.layout, sha256);
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.rename(staging, target);
      return undefined;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || attempt > 2) throw err;
      const winner = await readTreeManifest(store.layout, sha256);
      if (winner) {
        await fs.rm(staging, { recursive: true, force: true });
        return winner;
      }
      await moveAside(store, sha256, 'incomplete');
    }
  }
}
