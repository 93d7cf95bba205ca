// `collectGarbage` against real stores: what goes, what stays, and why. Running
// commands are real processes (a child holding a temp root; a SIGKILLed one;
// one that has exited), because liveness is decided by pid.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import cacache from 'cacache';
import { beginPins, collectGarbage, ensureTree, findArchive, ingest, listRoots, treeDir, type GcOptions, type Store } from '../src/index.js';
import {
  addExtension,
  ageTree,
  archiveBytes,
  deadPid,
  exists,
  fakeWorktree,
  liveDigestsOf,
  sleep,
  spawnPinHolder,
  storeIn,
  tempDir,
  type PinHolder,
} from './gc-support.js';

const HOUR = 60 * 60 * 1000;
let work: string;
let n = 0;
const holders: PinHolder[] = [];

beforeAll(async () => {
  work = await tempDir('collect');
});
afterEach(async () => {
  await Promise.all(holders.splice(0).map((h) => h.kill()));
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

async function fresh(): Promise<{ dir: string; store: Store }> {
  const dir = path.join(work, `case-${++n}`);
  return { dir, store: storeIn(dir) };
}

const gcWith = (store: Store, opts: Partial<GcOptions> = {}) => collectGarbage(store, { liveDigestsOf, ...opts });
/** max-age 0 still keeps what was used in the last second (filesystem clocks are coarse), so fixtures are made older than that. */
const settle = () => sleep(1100);

describe('collectGarbage', () => {
  it('removes an unreferenced tree past the grace period and keeps a young one and both archives', async () => {
    const { store } = await fresh();
    const old = await addExtension(store, '@t/old', '2026.01.01.1');
    const young = await addExtension(store, '@t/young', '2026.01.01.1');
    await ageTree(store, old, 2 * HOUR);
    const report = await gcWith(store);
    expect(report.removed.trees).toEqual([old]);
    expect(report.removed.archives).toEqual([]); // archives keep a week by default
    expect(report.kept).toEqual({ trees: 1, archives: 2 });
    expect(report.removed.bytes).toBeGreaterThan(0);
    expect(await exists(treeDir(store.layout, old))).toBe(false);
    expect(await exists(treeDir(store.layout, young))).toBe(true);
    // The archive survived, so the tree comes back without any network.
    expect((await ensureTree(store, old)).status).toBe('extracted');
  });

  it('with max-age 0 removes every unreferenced tree and archive, keeps what a live root needs, and a later ingest works', async () => {
    const { dir, store } = await fresh();
    const a = await addExtension(store, '@t/a', '2026.01.01.1');
    const b = await addExtension(store, '@t/b', '2026.01.01.1');
    const kept = await addExtension(store, '@t/kept', '2026.01.01.1');
    await fakeWorktree(store, path.join(dir, 'wt'), [kept]);
    await settle();
    const report = await gcWith(store, { maxAgeMs: 0, archiveMaxAgeMs: 0 });
    expect(report.removed.trees.sort()).toEqual([a, b].sort());
    expect(report.removed.archives.sort()).toEqual([a, b].sort());
    expect(report.kept).toEqual({ trees: 1, archives: 1 });
    expect(await findArchive(store, a)).toBeUndefined();
    expect(await findArchive(store, kept)).toBeDefined();
    expect(await exists(treeDir(store.layout, kept))).toBe(true);
    // Every index key of a removed archive went with it...
    const keys = Object.keys(await cacache.ls(store.layout.cas));
    expect(keys.filter((k) => k.includes(a) || k.includes('@t/a@'))).toEqual([]);
    // ...and the bytes can come back: the tombstones do not shadow a new ingest.
    const again = await ingest(store, archiveBytes('@t/a', '2026.01.01.1'), { sourceKey: 'file:/again', name: '@t/a', version: '2026.01.01.1' });
    expect(again.sha256).toBe(a);
    expect((await ensureTree(store, a)).status).toBe('extracted');
    // Nothing was left half-deleted in tmp/.
    expect(await fs.readdir(store.layout.tmp)).toEqual([]);
  });

  it('keeps what a live temp root (this process) pins, and defers archives while a command runs', async () => {
    const { store } = await fresh();
    const pinned = await addExtension(store, '@t/pinned', '2026.01.01.1');
    const free = await addExtension(store, '@t/free', '2026.01.01.1');
    await settle();
    const pins = await beginPins(store, 'test');
    await pins.add([pinned]);
    const busy = await gcWith(store, { maxAgeMs: 0, archiveMaxAgeMs: 0 });
    expect(busy.removed.trees).toEqual([free]);
    expect(busy.removed.archives).toEqual([]);
    expect(busy.deferredArchives).toBe(1);
    expect(await findArchive(store, pinned)).toBeDefined();
    expect(await exists(treeDir(store.layout, pinned))).toBe(true);
    await pins.release();
    await settle();
    const quiet = await gcWith(store, { maxAgeMs: 0, archiveMaxAgeMs: 0 });
    expect(quiet.removed.trees).toEqual([pinned]);
    expect(quiet.removed.archives.sort()).toEqual([free, pinned].sort());
  });

  it('keeps what another live process pins', async () => {
    const { store } = await fresh();
    const pinned = await addExtension(store, '@t/other', '2026.01.01.1');
    await ageTree(store, pinned, 2 * HOUR);
    holders.push(await spawnPinHolder(store, [pinned]));
    const report = await gcWith(store, { maxAgeMs: 0, archiveMaxAgeMs: 0 });
    expect(report.removed.trees).toEqual([]);
    expect(report.removed.tempRoots).toBe(0);
    expect(await exists(treeDir(store.layout, pinned))).toBe(true);
  });

  it('ignores and removes the temp root of a process that has exited', async () => {
    const { store } = await fresh();
    const sha = await addExtension(store, '@t/dead', '2026.01.01.1');
    await settle();
    const pid = await deadPid();
    const file = path.join(store.layout.tempRoots, `${os.hostname()}-${pid}-0badf00d.json`);
    await fs.writeFile(file, JSON.stringify({ pid, host: os.hostname(), startedAt: Date.now() - 5000, command: 'pull', digests: [sha] }));
    const report = await gcWith(store, { maxAgeMs: 0, archiveMaxAgeMs: 0 });
    expect(report.removed.trees).toEqual([sha]);
    expect(report.removed.archives).toEqual([sha]);
    expect(report.removed.tempRoots).toBe(1);
    expect(await exists(file)).toBe(false);
  });

  it('does not let a SIGKILLed command pin anything forever', async () => {
    const { store } = await fresh();
    const sha = await addExtension(store, '@t/killed', '2026.01.01.1');
    await settle();
    const holder = await spawnPinHolder(store, [sha]);
    expect((await gcWith(store, { maxAgeMs: 0, archiveMaxAgeMs: 0 })).removed.trees).toEqual([]);
    await holder.kill('SIGKILL');
    expect(await exists(holder.file)).toBe(true); // a SIGKILL leaves the record behind...
    const report = await gcWith(store, { maxAgeMs: 0, archiveMaxAgeMs: 0 });
    expect(report.removed.trees).toEqual([sha]); // ...but it no longer pins
    expect(report.removed.tempRoots).toBe(1);
    expect(await exists(holder.file)).toBe(false);
  });

  it('keeps content newer than the start of a running command, even unpinned', async () => {
    const { store } = await fresh();
    const before = await addExtension(store, '@t/before', '2026.01.01.1');
    await ageTree(store, before, 10_000);
    await settle();
    holders.push(await spawnPinHolder(store, [])); // running, pinned nothing (yet)
    await sleep(1100);
    // Made after the command started: may be its own work in progress.
    const made = await addExtension(store, '@t/made', '2026.01.01.1');
    const report = await gcWith(store, { maxAgeMs: 0, archiveMaxAgeMs: 0 });
    expect(report.removed.trees).toEqual([before]);
    expect(await exists(treeDir(store.layout, made))).toBe(true);
  });

  it('removes nothing in a dry run, yet reports the same lists', async () => {
    const { dir, store } = await fresh();
    const sha = await addExtension(store, '@t/dry', '2026.01.01.1');
    const wt = path.join(dir, 'gone-wt');
    await fakeWorktree(store, wt, [sha]);
    await fs.rm(wt, { recursive: true });
    const pid = await deadPid();
    const staging = path.join(store.layout.tmp, `tree-${os.hostname()}-${pid}-${Date.now()}-abc123`);
    await fs.mkdir(staging, { recursive: true });
    const tempRoot = path.join(store.layout.tempRoots, `${os.hostname()}-${pid}-0badf00d.json`);
    await fs.writeFile(tempRoot, JSON.stringify({ pid, host: os.hostname(), startedAt: Date.now(), command: 'x', digests: [] }));
    await settle();
    const dry = await gcWith(store, { maxAgeMs: 0, archiveMaxAgeMs: 0, dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.removed.trees).toEqual([sha]);
    expect(dry.removed.archives).toEqual([sha]);
    expect(dry.removed.roots).toEqual([wt]);
    expect(dry.removed.tempRoots).toBe(1);
    expect(dry.removed.leftovers).toBe(1);
    for (const p of [treeDir(store.layout, sha), staging, tempRoot]) expect(await exists(p), p).toBe(true);
    expect(await findArchive(store, sha)).toBeDefined();
    expect(await listRoots(store)).toHaveLength(1);
    const real = await gcWith(store, { maxAgeMs: 0, archiveMaxAgeMs: 0 });
    expect({ ...real.removed, bytes: 0 }).toEqual({ ...dry.removed, bytes: 0 });
    expect(real.removed.bytes).toBe(dry.removed.bytes);
  });

  it('drops the root of a worktree deleted by hand and collects its trees', async () => {
    const { dir, store } = await fresh();
    const mine = await addExtension(store, '@t/mine', '2026.01.01.1');
    const shared = await addExtension(store, '@t/shared', '2026.01.01.1');
    const gone = path.join(dir, 'wt-gone');
    const stays = path.join(dir, 'wt-stays');
    await fakeWorktree(store, gone, [mine, shared]);
    await fakeWorktree(store, stays, [shared]);
    await settle();
    expect((await gcWith(store, { maxAgeMs: 0, archiveMaxAgeMs: 0 })).removed.trees).toEqual([]);
    await fs.rm(gone, { recursive: true });
    const report = await gcWith(store, { maxAgeMs: 0, archiveMaxAgeMs: 0 });
    expect(report.removed.roots).toEqual([gone]);
    expect(report.removed.trees).toEqual([mine]);
    expect(report.removed.archives).toEqual([mine]);
    expect((await listRoots(store)).map((r) => r.record.repoDir)).toEqual([stays]);
  });

  it('removes no tree or archive while a live root cannot be read, and says which', async () => {
    const { dir, store } = await fresh();
    const sha = await addExtension(store, '@t/unsure', '2026.01.01.1');
    const wt = path.join(dir, 'wt-corrupt');
    const root = await fakeWorktree(store, wt, []);
    await fs.writeFile(root.lockfilePath, '{ not json');
    await settle();
    const report = await gcWith(store, { maxAgeMs: 0, archiveMaxAgeMs: 0 });
    expect(report.removed.trees).toEqual([]);
    expect(report.removed.archives).toEqual([]);
    expect(report.unknown).toHaveLength(1);
    expect(report.unknown[0]?.path).toBe(wt);
    expect(await exists(treeDir(store.layout, sha))).toBe(true);
  });

  it('keeps a tree whose files a live worktree holds, even when its lockfile no longer names it', async () => {
    const { dir, store } = await fresh();
    const sha = await addExtension(store, '@t/linked', '2026.01.01.1');
    const other = await addExtension(store, '@t/unlinked', '2026.01.01.1');
    const wt = path.join(dir, 'wt-linked');
    await fakeWorktree(store, wt, []);
    const linked = path.join(wt, 'main.ts');
    await fs.link(path.join(treeDir(store.layout, sha), 'ext', 'models', 'main.ts'), linked);
    await settle();
    const report = await gcWith(store, { maxAgeMs: 0, archiveMaxAgeMs: 0, filesOf: async (r) => (r.repoDir === wt ? [linked] : []) });
    expect(report.removed.trees).toEqual([other]);
    expect(await exists(treeDir(store.layout, sha))).toBe(true);
  });

  it('puts archives back when a command starts while they are being moved out', async () => {
    const { dir, store } = await fresh();
    const sha = await addExtension(store, '@t/raced', '2026.01.01.1');
    await fakeWorktree(store, path.join(dir, 'wt'), []);
    await settle();
    let late: Awaited<ReturnType<typeof beginPins>> | undefined;
    // Runs during the mark, after temp roots were read: a command that starts
    // right then may find the archive before it moves and pin it only after gc.
    const report = await gcWith(store, {
      maxAgeMs: 0,
      archiveMaxAgeMs: 0,
      liveDigestsOf: async (root) => {
        late ??= await beginPins(store, 'late');
        return liveDigestsOf(root);
      },
    });
    expect(late, 'the late command started during the mark').toBeDefined();
    expect(report.removed.trees).toEqual([sha]); // trees are pinned before anyone looks: no need to wait
    expect(report.removed.archives).toEqual([]);
    expect(report.deferredArchives).toBe(1);
    expect(await findArchive(store, sha)).toBeDefined();
    expect((await ensureTree(store, sha)).status).toBe('extracted');
    await late?.release();
  });

  it('sweeps staging of dead processes and the quarantine, and leaves live writers alone', async () => {
    const { store } = await fresh();
    await addExtension(store, '@t/sweep', '2026.01.01.1');
    const host = os.hostname();
    const dead = await deadPid();
    const live = await spawnPinHolder(store, []);
    holders.push(live);
    const deadStaging = path.join(store.layout.tmp, `tree-${host}-${dead}-${Date.now()}-aaaa`);
    const liveStaging = path.join(store.layout.tmp, `tree-${host}-${live.pid}-${Date.now()}-bbbb`);
    const uuid = '0f0e0d0c-0b0a-4909-8807-060504030201';
    const deadCasTmp = path.join(store.layout.cas, 'tmp', `${host}-${dead}-${uuid}`);
    const liveCasTmp = path.join(store.layout.cas, 'tmp', `${host}-${live.pid}-${uuid}`);
    const quarantined = path.join(store.layout.quarantine, `${'a'.repeat(64)}-tampered-1-1`);
    for (const d of [deadStaging, liveStaging, quarantined]) {
      await fs.mkdir(path.join(d, 'ext'), { recursive: true });
      await fs.writeFile(path.join(d, 'ext', 'f'), 'x'.repeat(100));
    }
    await fs.mkdir(path.dirname(deadCasTmp), { recursive: true });
    await fs.writeFile(deadCasTmp, 'partial');
    await fs.writeFile(liveCasTmp, 'in flight');
    // A day-old leftover goes whatever its name says (pid reuse, other hosts).
    const ancient = path.join(store.layout.tmp, 'tree-otherhost-1-1-zzzz');
    await fs.mkdir(ancient);
    const dayAgo = new Date(Date.now() - 25 * HOUR);
    await fs.utimes(ancient, dayAgo, dayAgo);
    // Read-only leftovers, as a half-sealed tree is, are removed too.
    await fs.chmod(path.join(deadStaging, 'ext', 'f'), 0o444);
    await fs.chmod(path.join(deadStaging, 'ext'), 0o555);

    const report = await gcWith(store);
    expect(report.removed.leftovers).toBe(4);
    for (const p of [deadStaging, deadCasTmp, quarantined, ancient]) expect(await exists(p), p).toBe(false);
    for (const p of [liveStaging, liveCasTmp]) expect(await exists(p), p).toBe(true);
  });
});
