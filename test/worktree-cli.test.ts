// The behaviours of issue 3 one by one, each through the CLI in its own
// process, each checked against the archive's bytes computed independently.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, makeRepo, runCli } from './helpers/cli.mjs';
import { useSandbox } from './helpers/sandbox.js';
import type { ExtensionSpec } from './helpers/archive-builder.mjs';
import { LOCKFILE_REL, checkWorktree, cliEnv, expectedInstall, readLockfileJson, storeFile, writeSpec } from './fixtures/worktree-support.js';

const LONG = 180_000;
const TOOLS = ['.claude/skills', '.cursor/skills'];
const box = useSandbox('wt-cli-');
const specsBySum = new Map<string, ExtensionSpec>();

async function archive(spec: ExtensionSpec): Promise<{ file: string; checksum: string }> {
  const w = await writeSpec(box.archives, spec);
  specsBySum.set(w.checksum, spec);
  return w;
}

const cli = (repo: string, ...args: string[]) => runCli([...args, '--repo-dir', repo, '--json'], { env: cliEnv(box.store) });

async function ok(repo: string, ...args: string[]) {
  const r = await cli(repo, ...args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}

async function expectVerified(repo: string, opts: { skillsDirs?: string[] } = {}) {
  expect(checkWorktree(repo, specsBySum, opts)).toEqual([]);
  const v = await cli(repo, 'extension', 'verify');
  expect(v.json, v.stdout).toEqual({ ok: true, problems: [] });
}

const v1: ExtensionSpec = {
  name: '@cli/tool',
  version: '2026.09.01.1',
  files: {
    'models/keep.ts': 'keep\n',
    'models/v1-only.ts': 'only in v1\n',
    'workflows/flow.yaml': 'name: flow v1\n',
    'bundles/tool.js': '/* bundle v1 */\n',
    'skills/tool-skill/SKILL.md': '# tool v1\n',
    'skills/tool-skill/refs/notes.md': 'notes\n',
  },
};
const v2: ExtensionSpec = {
  name: '@cli/tool',
  version: '2026.09.01.2',
  files: {
    'models/keep.ts': 'keep\n',
    'models/v2-only/deep.ts': 'only in v2\n',
    'workflows/flow.yaml': 'name: flow v2\n',
    'vault-bundles/vault.js': '/* vault bundle v2 */\n',
    'skills/tool-skill-2/SKILL.md': '# tool v2\n',
  },
};
const other: ExtensionSpec = { name: '@cli/other', version: '2026.09.02.1', files: { 'models/o.ts': 'o\n', 'reports/r.ts': 'r\n' } };

describe('extension install', () => {
  it('restores every entry from the store with no network (downloaded: false)', async () => {
    const repo = makeRepo(path.join(box.root, 'restore'), { tools: ['claude', 'cursor'] });
    const a = await archive(v1);
    const b = await archive(other);
    await ok(repo, 'extension', 'pull', a.file, b.file);
    const lockBefore = fs.readFileSync(path.join(repo, LOCKFILE_REL), 'utf8');
    // A fresh clone: the committed lockfile and nothing else.
    for (const d of ['.swamp', '.claude', '.cursor']) fs.rmSync(path.join(repo, d), { recursive: true, force: true });
    // No --offline, and a registry that cannot answer: only the store can have supplied the bytes.
    const r = await runCli(['extension', 'install', '--repo-dir', repo, '--json'], { env: cliEnv(box.store, { SWAMP_CLUB_URL: 'http://127.0.0.1:9' }) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.extensions.map((e: { name: string }) => e.name).sort()).toEqual(['@cli/other', '@cli/tool']);
    for (const e of r.json.extensions) {
      expect(e.downloaded, e.name).toBe(false);
      expect(e.store, e.name).toBe('hit');
      expect(e.linked.hardlink + e.linked.copy + e.linked.reflink, e.name).toBe(e.files);
    }
    await expectVerified(repo, { skillsDirs: TOOLS });
    // A restore is not a new pull: the committed lockfile is unchanged, pulledAt included.
    expect(fs.readFileSync(path.join(repo, LOCKFILE_REL), 'utf8')).toBe(lockBefore);
  }, LONG);

  it('restores offline when a hand-edited lockfile holds the checksum in upper case', async () => {
    const repo = makeRepo(path.join(box.root, 'upper'));
    const a = await archive(other);
    await ok(repo, 'extension', 'pull', a.file);
    const lockfile = path.join(repo, LOCKFILE_REL);
    const upper = fs.readFileSync(lockfile, 'utf8').replace(a.checksum, a.checksum.toUpperCase());
    expect(upper).toContain(a.checksum.toUpperCase());
    fs.writeFileSync(lockfile, upper);
    fs.rmSync(path.join(repo, '.swamp'), { recursive: true, force: true });
    const r = await ok(repo, 'extension', 'install', '--offline');
    expect(r.json.extensions.map((e: { name: string; store: string }) => [e.name, e.store])).toEqual([['@cli/other', 'hit']]);
    await expectVerified(repo);
  }, LONG);

  it('removes the files of versions the lockfile no longer lists (git checkout of an older lockfile)', async () => {
    const repo = makeRepo(path.join(box.root, 'checkout'));
    const a = await archive(v1);
    const b = await archive(v2);
    await ok(repo, 'extension', 'pull', a.file);
    const olderLockfile = fs.readFileSync(path.join(repo, LOCKFILE_REL), 'utf8');
    await ok(repo, 'extension', 'pull', b.file);
    const v2Only = [...expectedInstall(v2).files.keys()].filter((f) => !expectedInstall(v1).files.has(f));
    expect(v2Only.length).toBeGreaterThan(2);
    for (const f of v2Only) expect(fs.existsSync(path.join(repo, f))).toBe(true);

    fs.writeFileSync(path.join(repo, LOCKFILE_REL), olderLockfile); // what `git checkout` of the older commit does
    // Knowing which version is on disk must not turn off the hand-edit guard.
    const keep = path.join(repo, '.swamp/pulled-extensions/@cli/tool/models/keep.ts');
    fs.rmSync(keep);
    fs.writeFileSync(keep, 'my edit\n');
    const refused = await cli(repo, 'extension', 'install');
    expect(refused.errorJson?.code, refused.stderr).toBe('E_MODIFIED');
    expect(refused.errorJson.error).toContain('models/keep.ts');
    expect(refused.errorJson.error).not.toContain('flow.yaml');
    fs.rmSync(keep);
    const r = await ok(repo, 'extension', 'install');
    expect(r.json.extensions[0].version).toBe(v1.version);
    for (const f of v2Only) expect(fs.existsSync(path.join(repo, f)), f).toBe(false);
    await expectVerified(repo);
    expect(fs.readFileSync(path.join(repo, LOCKFILE_REL), 'utf8')).toBe(olderLockfile);
  }, LONG);
});

describe('lock timeout', () => {
  it('SWAMP_STORE_LOCK_TIMEOUT_MS bounds the wait for a held worktree lock: exit 75, E_LOCK_TIMEOUT, nothing installed', async () => {
    const repo = makeRepo(path.join(box.root, 'lock-timeout'));
    const a = await archive(other);
    const lockPath = path.join(repo, `${LOCKFILE_REL}.lock`);
    fs.mkdirSync(path.dirname(lockPath), { recursive: true });
    const holder = spawn(process.execPath, [path.join(ROOT, 'packages/lock/test/fixtures/hold.mjs'), lockPath], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve())); // {"event":"held"}
      const started = Date.now();
      const r = await runCli(['extension', 'pull', a.file, '--repo-dir', repo, '--json'], { env: cliEnv(box.store, { SWAMP_STORE_LOCK_TIMEOUT_MS: '300' }) });
      expect(r.code, r.stderr).toBe(75);
      expect(r.errorJson?.code).toBe('E_LOCK_TIMEOUT');
      expect(Date.now() - started).toBeLessThan(30_000); // not the 60 s default
      expect(fs.existsSync(path.join(repo, LOCKFILE_REL))).toBe(false);
    } finally {
      holder.stdin.end('release\n');
      await new Promise((resolve) => holder.on('exit', resolve));
    }
  }, LONG);
});

describe('extension rm', () => {
  it('after a git checkout of an older lockfile, removes the files really on disk', async () => {
    const repo = makeRepo(path.join(box.root, 'rm-after-checkout'));
    const a = await archive(v1);
    const b = await archive(v2);
    await ok(repo, 'extension', 'pull', a.file);
    const olderLockfile = fs.readFileSync(path.join(repo, LOCKFILE_REL), 'utf8');
    await ok(repo, 'extension', 'pull', b.file);
    fs.writeFileSync(path.join(repo, LOCKFILE_REL), olderLockfile);
    await ok(repo, 'extension', 'rm', '-y', '@cli/tool');
    for (const f of [...expectedInstall(v1).files.keys(), ...expectedInstall(v2).files.keys()]) expect(fs.existsSync(path.join(repo, f)), f).toBe(false);
    expect(checkWorktree(repo, specsBySum)).toEqual([]);
    expect(fs.existsSync(path.join(repo, '.swamp/pulled-extensions/@cli/tool'))).toBe(false);
  }, LONG);

  const parent: ExtensionSpec = { name: '@nest/a', version: '2026.09.03.1', files: { 'models/p.ts': 'parent\n', 'models/shared-dir/p2.ts': 'p2\n', 'bundles/p.js': 'pb\n' } };
  const child: ExtensionSpec = { name: '@nest/a/b', version: '2026.09.03.1', files: { 'models/c.ts': 'child\n', 'models/shared-dir/c2.ts': 'c2\n', 'bundles/c.js': 'cb\n' } };

  it('nested extensions: removing either leaves the other whole', async () => {
    const repo = makeRepo(path.join(box.root, 'nested'));
    const p = await archive(parent);
    const c = await archive(child);
    await ok(repo, 'extension', 'pull', p.file, c.file);
    await expectVerified(repo);

    const rmParent = await ok(repo, 'extension', 'rm', '-y', '@nest/a');
    expect(rmParent.json.removed).toEqual([{ name: '@nest/a', version: parent.version, filesDeleted: expectedInstall(parent).files.size }]);
    expect(Object.keys(readLockfileJson(repo))).toEqual(['@nest/a/b']);
    for (const f of expectedInstall(parent).files.keys()) expect(fs.existsSync(path.join(repo, f)), f).toBe(false);
    await expectVerified(repo);

    await ok(repo, 'extension', 'pull', p.file);
    await ok(repo, 'extension', 'rm', '-y', '@nest/a/b');
    expect(Object.keys(readLockfileJson(repo))).toEqual(['@nest/a']);
    expect(fs.existsSync(path.join(repo, '.swamp/pulled-extensions/@nest/a/b')), 'the child folder is pruned').toBe(false);
    await expectVerified(repo);
  }, LONG);

  it("never deletes a file the user put in the extension's folder", async () => {
    const repo = makeRepo(path.join(box.root, 'user-file'));
    const p = await archive(parent);
    await ok(repo, 'extension', 'pull', p.file);
    const mine = path.join(repo, '.swamp/pulled-extensions/@nest/a/models/mine.ts');
    fs.writeFileSync(mine, 'my own model\n');
    const r = await ok(repo, 'extension', 'rm', '-y', '@nest/a');
    expect(r.json.removed[0].filesDeleted).toBe(expectedInstall(parent).files.size);
    expect(fs.readFileSync(mine, 'utf8')).toBe('my own model\n');
    for (const f of expectedInstall(parent).files.keys()) expect(fs.existsSync(path.join(repo, f)), f).toBe(false);
    expect(readLockfileJson(repo)).toEqual({});
  }, LONG);
});

describe('extension pull', () => {
  it('refuses to replace hand-edited files, naming them, unless --force', async () => {
    const a = await archive(v1);
    const b = await archive(v2);
    const flow = '.swamp/pulled-extensions/@cli/tool/workflows/flow.yaml';
    const keep = '.swamp/pulled-extensions/@cli/tool/models/keep.ts';

    // An editor that writes a new file (new inode).
    const repo = makeRepo(path.join(box.root, 'force'));
    await ok(repo, 'extension', 'pull', a.file);
    fs.rmSync(path.join(repo, flow));
    fs.writeFileSync(path.join(repo, flow), 'name: my edit\n');
    const refused = await cli(repo, 'extension', 'pull', b.file);
    expect(refused.code).toBe(1);
    expect(refused.errorJson.code).toBe('E_MODIFIED');
    expect(refused.errorJson.error).toContain(flow);
    expect(refused.errorJson.error).not.toContain(keep);
    expect(readLockfileJson(repo)['@cli/tool']?.version, 'a refused pull changes nothing').toBe(v1.version);
    expect(fs.readFileSync(path.join(repo, flow), 'utf8')).toBe('name: my edit\n');
    await ok(repo, 'extension', 'pull', b.file, '--force');
    await expectVerified(repo);

    // An edit made in place, through the hardlink (root ignores 0444): the store copy changes with it,
    // so the inode still matches; the upgrade must still see the edit and refuse. The worktree is the
    // written inode's only holder here (its own store), so the edit is provably its own: swamp-store
    // moves the inode out of the store and the worktree keeps it. (When several worktrees share the
    // written inode, the writer cannot be known and every one of them gets the pristine file back:
    // test/written-through.test.ts.)
    const store2 = path.join(box.root, 'store-in-place');
    const repo2 = makeRepo(path.join(box.root, 'force-in-place'));
    const cli2 = (...args: string[]) => runCli([...args, '--repo-dir', repo2, '--json'], { env: cliEnv(store2) });
    expect((await cli2('extension', 'pull', a.file)).code).toBe(0);
    fs.appendFileSync(path.join(repo2, flow), '# my in-place edit\n');
    const refused2 = await cli2('extension', 'pull', b.file);
    expect(refused2.code, refused2.stderr).toBe(1);
    expect(refused2.errorJson.code).toBe('E_MODIFIED');
    expect(refused2.errorJson.error).toContain(flow);
    expect(fs.readFileSync(path.join(repo2, flow), 'utf8')).toContain('# my in-place edit');
    expect((await cli2('extension', 'pull', b.file, '--force')).code).toBe(0);
    expect(checkWorktree(repo2, specsBySum)).toEqual([]);
    expect((await cli2('extension', 'verify')).json).toEqual({ ok: true, problems: [] });
  }, LONG);

  it('keeps pulledAt on a same-version re-pull, renews it for a new version', async () => {
    const repo = makeRepo(path.join(box.root, 'pulled-at'));
    const a = await archive(v1);
    const b = await archive(v2);
    await ok(repo, 'extension', 'pull', a.file);
    const first = readLockfileJson(repo)['@cli/tool']?.pulledAt;
    expect(first).toMatch(/^\d{4}-\d\d-\d\dT/);
    await new Promise((r) => setTimeout(r, 20));
    // Remove a file so the re-pull really rewrites the entry, not just skips it.
    fs.rmSync(path.join(repo, '.swamp/pulled-extensions/@cli/tool/models/keep.ts'));
    const again = await ok(repo, 'extension', 'pull', a.file);
    expect(again.json.extensions[0].linked.hardlink).toBe(1);
    expect(readLockfileJson(repo)['@cli/tool']?.pulledAt).toBe(first);
    const up = await ok(repo, 'extension', 'pull', b.file);
    expect(readLockfileJson(repo)['@cli/tool']?.pulledAt).not.toBe(first);
    // `pruned` names exactly the old version's files the new one lacks.
    const v1Only = [...expectedInstall(v1).files.keys()].filter((f) => !expectedInstall(v2).files.has(f));
    expect([...up.json.extensions[0].pruned].sort()).toEqual(v1Only.sort());
    await expectVerified(repo);
  }, LONG);

  it('--link-mode copy gives copies, hardlink gives links; bundles are always private copies; skills go to every tool', async () => {
    const a = await archive(v1);
    const want = expectedInstall(v1, TOOLS);
    const inodes = async (mode: string) => {
      const repo = makeRepo(path.join(box.root, `mode-${mode}`), { tools: ['claude', 'cursor'] });
      const r = await ok(repo, 'extension', 'pull', a.file, '--link-mode', mode);
      await expectVerified(repo, { skillsDirs: TOOLS });
      const same = new Map<string, boolean>();
      for (const [rel, treePath] of want.treePath) same.set(rel, fs.statSync(path.join(repo, rel)).ino === fs.statSync(storeFile(box.store, a.checksum, treePath)).ino);
      return { r, same, repo };
    };

    const copy = await inodes('copy');
    for (const [rel, linked] of copy.same) expect(linked, rel).toBe(false);
    expect(copy.r.json.extensions[0].linked).toMatchObject({ hardlink: 0 });
    expect(copy.r.json.extensions[0].linked.copy + copy.r.json.extensions[0].linked.reflink).toBe(want.files.size);

    const hard = await inodes('hardlink');
    for (const [rel, linked] of hard.same) expect(linked, rel).toBe(!want.bundles.has(rel));
    expect(hard.r.json.extensions[0].linked.hardlink).toBe(want.files.size - want.bundles.size);
    expect(want.bundles.size).toBe(1);

    // Skills: one copy of the skill per enrolled tool, each tracked by its folder in the lockfile.
    for (const dir of TOOLS) {
      expect(fs.readFileSync(path.join(hard.repo, dir, 'tool-skill/SKILL.md'), 'utf8')).toBe('# tool v1\n');
      expect(fs.readFileSync(path.join(hard.repo, dir, 'tool-skill/refs/notes.md'), 'utf8')).toBe('notes\n');
      expect(readLockfileJson(hard.repo)['@cli/tool']?.files).toContain(`${dir}/tool-skill`);
    }

    const auto = await inodes('auto');
    for (const [rel, linked] of auto.same) expect(linked, rel).toBe(!want.bundles.has(rel));
    const list = await ok(auto.repo, 'extension', 'list');
    expect(list.json.extensions).toEqual([
      { name: '@cli/tool', version: v1.version, checksum: a.checksum, files: want.files.size, pulledAt: readLockfileJson(auto.repo)['@cli/tool']?.pulledAt },
    ]);
    // list counts files as pull does (each skill file in each tool's folder), not lockfile lines (one per skill folder).
    expect(list.json.extensions[0].files).toBe(auto.r.json.extensions[0].files);
    expect(want.files.size).toBeGreaterThan(want.lockfileFiles.length);
  }, LONG);
});

describe('extension verify', () => {
  it('reports missing, modified, untracked and not-in-store, and exits 1', async () => {
    const repo = makeRepo(path.join(box.root, 'verify'));
    const a = await archive(v1);
    const b = await archive(other);
    await ok(repo, 'extension', 'pull', a.file, b.file);
    await expectVerified(repo);
    const base = '.swamp/pulled-extensions/@cli/tool';
    fs.rmSync(path.join(repo, base, 'models/keep.ts'));
    fs.rmSync(path.join(repo, base, 'workflows/flow.yaml'));
    fs.writeFileSync(path.join(repo, base, 'workflows/flow.yaml'), 'name: edited\n');
    fs.writeFileSync(path.join(repo, base, 'models/stray.ts'), 'stray\n');
    // The other extension's tree leaves the store (a damaged or hand-cleaned store).
    fs.rmSync(path.join(box.store, 'v1', 'trees', b.checksum), { recursive: true, force: true });
    const r = await cli(repo, 'extension', 'verify');
    expect(r.code).toBe(1);
    expect(r.json.ok).toBe(false);
    const got = (r.json.problems as { name: string | null; path: string; problem: string }[]).map((p) => `${p.problem} ${p.path} ${p.name}`).sort();
    expect(got).toEqual(
      [
        `missing ${base}/models/keep.ts @cli/tool`,
        `modified ${base}/workflows/flow.yaml @cli/tool`,
        'not-in-store .swamp/pulled-extensions/@cli/other @cli/other',
        `untracked ${base}/models/stray.ts null`,
      ].sort(),
    );
    const human = await runCli(['extension', 'verify', '--repo-dir', repo], { env: cliEnv(box.store) });
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/missing\s+\.swamp\/pulled-extensions\/@cli\/tool\/models\/keep\.ts/);
  }, LONG);
});
