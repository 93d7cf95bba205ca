// The install planner at package level: for each on-disk state of a placed
// file (missing, the store's own inode, equal bytes in another inode, other
// bytes, a folder or a symlink in the way, written through the link) what it
// decides: stage a link, leave it alone, keep it (adopt), or refuse
// (E_MODIFIED). Real store trees and real files in a temp folder; the
// transaction that carries a plan out is journal-recovery.test.ts's.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureTree, ingest, openStore, type Store, type TreeManifest } from '@swamp-store/store';
import { buildExtensionArchive, type ExtensionSpec } from '../../../test/helpers/archive-builder.mjs';
import { makeEntry, type LockEntry } from '../src/lockfile.js';
import type { Materialized } from '../src/materialized.js';
import { extensionDir } from '../src/placement.js';
import { planInstall, type InstallTarget, type PlanInstallOptions } from '../src/plan-install.js';
import type { RepoContext } from '../src/repo.js';
import { defaultRepo } from './fixtures/repo-context.js';
import { RepoPaths } from '../src/safe-path.js';
import type { PlannedChange, TransactionContext } from '../src/transaction.js';

const NAME = '@plan/x';
const EXT = extensionDir(NAME);
const A = `${EXT}/models/a.ts`;
const B = `${EXT}/models/b.ts`;
const V1: ExtensionSpec = { name: NAME, version: '2026.01.01.1', files: { 'models/a.ts': 'a v1\n', 'models/b.ts': 'b\n', 'models/gone.ts': 'only in v1\n', 'bundles/x.js': 'bundle\n' } };
const V2: ExtensionSpec = { ...V1, version: '2026.01.01.2', files: { 'models/a.ts': 'a v2\n', 'models/b.ts': 'b\n', 'bundles/x.js': 'bundle\n' } };

let tmp: string;
let store: Store;
let repo: RepoContext;
let entries: Record<string, LockEntry>;
let materialized: Materialized;

beforeEach(async () => {
  tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'plan-install-')));
  store = openStore({ root: path.join(tmp, 'store') });
  const repoDir = path.join(tmp, 'repo');
  await fs.mkdir(repoDir);
  repo = defaultRepo(repoDir);
  entries = {};
  materialized = {};
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const abs = (rel: string) => path.join(repo.repoDir, rel);

/** The archive of `spec` ingested and unpacked in the store, as a pull would. */
async function published(spec: ExtensionSpec): Promise<InstallTarget & { tree: TreeManifest }> {
  const bytes = buildExtensionArchive(spec);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  await ingest(store, bytes, { sourceKey: `test:${spec.version}`, expectedSha256: sha256, name: spec.name, version: spec.version });
  const { tree, dir } = await ensureTree(store, sha256);
  return { name: spec.name, tree, treeDir: dir, serverUrl: '' };
}

function plan(target: InstallTarget, opts: Partial<PlanInstallOptions> = {}): Promise<PlannedChange | undefined> {
  const ctx: TransactionContext = { repo, entries, materialized, paths: RepoPaths.openSync(repo.repoDir) };
  return planInstall(ctx, target, { store, force: false, ...opts });
}

/** Carries a plan out as the transaction would: folders made, links (bundles: copies) placed, entry and record written. */
async function apply(target: InstallTarget, planned: PlannedChange | undefined): Promise<void> {
  if (!planned) throw new Error('expected a plan');
  for (const d of planned.change.dirs) await fs.mkdir(abs(d), { recursive: true });
  for (const s of planned.stage) {
    await fs.rm(abs(s.target), { recursive: true, force: true });
    await fs.mkdir(path.dirname(abs(s.target)), { recursive: true });
    if (s.privateCopy) await fs.copyFile(s.source, abs(s.target));
    else await fs.link(s.source, abs(s.target));
  }
  for (const o of planned.change.orphans) await fs.rm(abs(o), { force: true });
  if (planned.change.entry) entries[target.name] = planned.change.entry;
  materialized[target.name] = target.tree.sha256;
}

/** `spec` installed as a pull leaves it (every file the store's inode), and the plan that did it. */
async function installed(spec: ExtensionSpec): Promise<InstallTarget & { tree: TreeManifest; first: PlannedChange }> {
  const target = await published(spec);
  const first = await plan(target);
  await apply(target, first);
  return { ...target, first: first as PlannedChange };
}

const staged = (p: PlannedChange | undefined) => (p?.stage ?? []).map((s) => s.target).sort();
/** The store file a target is linked from, as the first plan named it. */
function sourceOf(first: PlannedChange, target: string): string {
  const s = first.stage.find((f) => f.target === target);
  if (!s) throw new Error(`${target} was not staged`);
  return s.source;
}

async function expectRefused(promise: Promise<unknown>, file: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toMatchObject({ code: 'E_MODIFIED' });
  expect((err as Error).message).toContain(file);
}

describe('planInstall', () => {
  it('an empty worktree: every file staged, the extension folder created by one rename', async () => {
    const target = await published(V1);
    const p = await plan(target);
    expect(staged(p)).toEqual([expect.stringMatching(/^\.swamp\/bundles\/.*\/x\.js$/), `${EXT}/manifest.yaml`, A, B, `${EXT}/models/gone.ts`]);
    expect(p?.change.dirMoves).toContain(EXT);
    expect(p?.change.entry).toMatchObject({ version: V1.version, checksum: target.tree.sha256 });
    expect(p?.stage.find((s) => s.target.endsWith('x.js'))?.privateCopy).toBe(true);
  });

  it("every file already the store's inode, entry and folders in place: nothing to do", async () => {
    const target = await installed(V1);
    expect((await fs.stat(abs(A))).ino).toBe((await fs.stat(sourceOf(target.first, A))).ino);
    expect(await plan(target)).toBeUndefined();
  });

  it('a missing file beside linked ones: only it is staged, one by one (its folder exists)', async () => {
    const target = await installed(V1);
    await fs.rm(abs(A));
    const p = await plan(target);
    expect(staged(p)).toEqual([A]);
    expect(p?.change.dirMoves).toBeUndefined();
  });

  it('equal bytes in another inode (a copy): relinked, never refused', async () => {
    const target = await installed(V1);
    await fs.rm(abs(A));
    await fs.writeFile(abs(A), 'a v1\n');
    expect(staged(await plan(target))).toEqual([A]);
  });

  it('other bytes: refused naming the file; --force replaces it; adopting keeps it and reports it', async () => {
    const target = await installed(V1);
    await fs.rm(abs(A));
    await fs.writeFile(abs(A), 'my own edit\n');
    await expectRefused(plan(target), A);
    expect(staged(await plan(target, { force: true }))).toEqual([A]);
    const adopted = await plan(target, { adopt: true });
    expect(adopted?.kept).toEqual([A]);
    expect(staged(adopted)).toEqual([]);
    expect(await fs.readFile(abs(A), 'utf8')).toBe('my own edit\n');
  });

  it('a folder in the way: refused; --force stages the file over it', async () => {
    const target = await installed(V1);
    await fs.rm(abs(A));
    await fs.mkdir(abs(A));
    await fs.writeFile(path.join(abs(A), 'inside'), 'user data\n');
    await expectRefused(plan(target), A);
    expect(staged(await plan(target, { force: true }))).toEqual([A]);
  });

  it("a symlink in the way is never followed, even to the store's own file: refused; --force stages", async () => {
    const target = await installed(V1);
    await fs.rm(abs(A));
    await fs.symlink(sourceOf(target.first, A), abs(A));
    await expectRefused(plan(target), A);
    expect(staged(await plan(target, { force: true }))).toEqual([A]);
  });

  it("written through the link (the store's inode, but its size and mtime changed): a hand edit, refused", async () => {
    const target = await installed(V1);
    await fs.chmod(abs(A), 0o644);
    await fs.appendFile(abs(A), 'appended in place\n');
    expect((await fs.stat(abs(A))).ino).toBe((await fs.stat(sourceOf(target.first, A))).ino);
    await expectRefused(plan(target), A);
  });

  it("a path another extension's entry lists is refused even when it is absent", async () => {
    const target = await published(V1);
    entries['@plan/other'] = makeEntry({ version: '2026.01.01.1', files: [B], checksum: 'd'.repeat(64), filesChecksum: '', serverUrl: '' }, undefined);
    await expectRefused(plan(target), B);
  });

  it("an upgrade replaces the old version's own inodes without --force (each by the new tree's) and removes the files the new one lacks", async () => {
    const old = await installed(V1);
    const next = await published(V2);
    const p = await plan(next);
    expect(staged(p)).toEqual(staged(old.first).filter((t) => t !== `${EXT}/models/gone.ts`));
    expect(p?.change.orphans).toEqual([`${EXT}/models/gone.ts`]);
    expect(p?.change.entry).toMatchObject({ version: V2.version, checksum: next.tree.sha256 });
  });

  it("an upgrade still refuses a file that is neither version's", async () => {
    await installed(V1);
    const next = await published(V2);
    await fs.rm(abs(A));
    await fs.writeFile(abs(A), 'neither v1 nor v2\n');
    await expectRefused(plan(next), A);
  });

  it("a bundle rewritten in place (Swamp's loader does) is left as it is for the same archive", async () => {
    const target = await installed(V1);
    const bundle = target.first.stage.find((f) => f.privateCopy)?.target as string;
    expect(bundle).toMatch(/x\.js$/);
    await fs.chmod(abs(bundle), 0o644);
    await fs.writeFile(abs(bundle), 'rewritten by the loader\n');
    expect(await plan(target)).toBeUndefined();
  });
});
