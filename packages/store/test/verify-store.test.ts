// `verifyStore` finds flipped bytes in tree files and in archives, and
// `repair` puts the store right: re-extraction from a good archive, removal of
// a bad one (so the next pull fetches it again).
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import cacache from 'cacache';
import { ensureTree, findArchive, ingest, listStore, readTreeManifest, registerRoot, treeDir, verifyStore, verifyTreeFull, type Store } from '../src/index.js';
import { addExtension, archiveBytes, storeIn, tempDir } from './gc-support.js';

let work: string;
let n = 0;

beforeAll(async () => {
  work = await tempDir('verify');
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

const fresh = (): Store => storeIn(path.join(work, `case-${++n}`));

/** Flips one byte in place, as a bit rot or a careless `sed -i` through a hardlink would (same inode). */
async function flipByte(file: string, at = 10): Promise<void> {
  const mode = (await fs.stat(file)).mode & 0o777;
  await fs.chmod(file, 0o644);
  const fh = await fs.open(file, 'r+');
  try {
    const buf = Buffer.alloc(1);
    await fh.read(buf, 0, 1, at);
    buf[0] = (buf[0] as number) ^ 0xff;
    await fh.write(buf, 0, 1, at);
  } finally {
    await fh.close();
  }
  await fs.chmod(file, mode);
}

const treeFile = (store: Store, sha: string) => path.join(treeDir(store.layout, sha), 'ext', 'models', 'main.ts');

async function contentPathOf(store: Store, sha: string): Promise<string> {
  const info = await cacache.get.info(store.layout.cas, `sha256:${sha}`);
  if (!info) throw new Error('no index entry');
  return info.path;
}

describe('verifyStore', () => {
  it('reports nothing for a healthy store', async () => {
    const store = fresh();
    await addExtension(store, '@v/ok', '2026.01.01.1');
    expect(await verifyStore(store)).toEqual({ ok: true, problems: [], repaired: [] });
  });

  it('finds a flipped byte in a tree file, and --repair re-extracts the tree from its archive', async () => {
    const store = fresh();
    const sha = await addExtension(store, '@v/tree', '2026.01.01.1');
    const healthy = await addExtension(store, '@v/healthy', '2026.01.01.1');
    await flipByte(treeFile(store, sha));
    const found = await verifyStore(store);
    expect(found.ok).toBe(false);
    expect(found.problems).toEqual([{ checksum: sha, path: treeFile(store, sha), problem: 'modified' }]);
    expect(found.repaired).toEqual([]);

    const fixed = await verifyStore(store, { repair: true });
    expect(fixed.ok).toBe(true);
    expect(fixed.repaired).toEqual([sha]);
    const tree = await readTreeManifest(store.layout, sha);
    expect(tree && (await verifyTreeFull(store.layout, tree))).toEqual([]);
    expect(await verifyStore(store)).toEqual({ ok: true, problems: [], repaired: [] });
    expect(await readTreeManifest(store.layout, healthy)).toBeDefined();
  });

  it('finds a flipped byte in an archive; --repair removes it and a later ingest of the right bytes works', async () => {
    const store = fresh();
    const sha = await addExtension(store, '@v/archive', '2026.01.01.1');
    const content = await contentPathOf(store, sha);
    await flipByte(content, 20);
    const found = await verifyStore(store);
    expect(found.ok).toBe(false);
    expect(found.problems).toEqual([{ checksum: sha, path: content, problem: 'corrupt' }]);

    const fixed = await verifyStore(store, { repair: true });
    expect(fixed.ok).toBe(true);
    expect(fixed.repaired).toEqual([sha]);
    expect(await findArchive(store, sha)).toBeUndefined();
    // The tree was fine and stays; the archive comes back with the next fetch.
    expect(await readTreeManifest(store.layout, sha)).toBeDefined();
    const again = await ingest(store, archiveBytes('@v/archive', '2026.01.01.1'), { sourceKey: 'file:/again', name: '@v/archive', version: '2026.01.01.1' });
    expect(again.sha256).toBe(sha);
    expect(await findArchive(store, sha)).toBeDefined();
    expect(await verifyStore(store)).toEqual({ ok: true, problems: [], repaired: [] });
  });

  it('removes both when a damaged tree has a damaged archive, and the next fetch restores them', async () => {
    const store = fresh();
    const sha = await addExtension(store, '@v/both', '2026.01.01.1');
    await flipByte(treeFile(store, sha));
    await flipByte(await contentPathOf(store, sha), 30);
    const fixed = await verifyStore(store, { repair: true });
    expect(fixed.problems.map((p) => p.problem).sort()).toEqual(['corrupt', 'modified']);
    expect(fixed.repaired).toEqual([sha]);
    expect(fixed.ok).toBe(true);
    expect(await readTreeManifest(store.layout, sha)).toBeUndefined();
    expect(await findArchive(store, sha)).toBeUndefined();
    await ingest(store, archiveBytes('@v/both', '2026.01.01.1'), { sourceKey: 'file:/again', name: '@v/both', version: '2026.01.01.1' });
    expect((await ensureTree(store, sha)).status).toBe('extracted');
    expect(await verifyStore(store)).toEqual({ ok: true, problems: [], repaired: [] });
  });
});

describe('listStore', () => {
  it('counts hardlinked worktree files once in physical bytes, every path in logical bytes', async () => {
    const dir = path.join(work, 'ls');
    const store = storeIn(dir);
    const sha = await addExtension(store, '@v/listed', '2026.01.01.1');
    const tree = await readTreeManifest(store.layout, sha);
    if (!tree) throw new Error('no tree');
    const treeBytes = tree.files.reduce((s, f) => s + f.size, 0);
    const worktrees: Record<string, string[]> = {};
    for (let i = 0; i < 4; i++) {
      const wt = path.join(dir, `wt-${i}`);
      worktrees[wt] = [];
      for (const f of tree.files) {
        const dest = path.join(wt, ...f.path.split('/'));
        await fs.mkdir(path.dirname(dest), { recursive: true });
        await fs.link(path.join(treeDir(store.layout, sha), ...f.path.split('/')), dest);
        worktrees[wt].push(dest);
      }
      await registerRoot(store, { repoDir: wt, lockfilePath: path.join(wt, 'lock.json') });
    }
    await registerRoot(store, { repoDir: path.join(dir, 'wt-gone'), lockfilePath: path.join(dir, 'wt-gone', 'lock.json') });
    const listing = await listStore(store, { filesOf: async (r) => worktrees[r.repoDir] ?? [] });
    const archiveBytesStored = listing.archives[0]?.bytes ?? 0;
    expect(listing.trees).toMatchObject([{ checksum: sha, name: '@v/listed', version: '2026.01.01.1', files: tree.files.length, bytes: treeBytes }]);
    expect(listing.archives).toMatchObject([{ checksum: sha, name: '@v/listed', version: '2026.01.01.1' }]);
    expect(archiveBytesStored).toBeGreaterThan(0);
    expect(listing.roots.map((r) => r.alive)).toEqual([true, true, true, true, false]);
    expect(listing.physicalBytes).toBe(treeBytes + archiveBytesStored);
    expect(listing.logicalBytes).toBe(5 * treeBytes + archiveBytesStored);
  });
});
