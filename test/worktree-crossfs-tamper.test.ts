// Two ways the hardlink design can go wrong, each driven through the CLI:
// a store on another filesystem (no hardlinks possible: copies, said once),
// and a write through a hardlink (the shared store copy changes: the next
// worktree must still get pristine bytes, and the first must see `modified`).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRepo, runCli } from './helpers/cli.mjs';
import { useSandbox } from './helpers/sandbox.js';
import type { ExtensionSpec } from './helpers/archive-builder.mjs';
import { checkWorktree, cliEnv, expectedInstall, storeFile, writeSpec } from './fixtures/worktree-support.js';

const LONG = 180_000;
const box = useSandbox('wt-xfs-');
const specsBySum = new Map<string, ExtensionSpec>();

const specA: ExtensionSpec = {
  name: '@xfs/alpha',
  version: '2026.07.01.1',
  files: { 'models/a.ts': 'export const a = 1;\n', 'models/deep/b.ts': 'export const b = 2;\n', 'bundles/alpha.js': '/* bundle */\n', 'skills/alpha-skill/SKILL.md': '# alpha\n', 'files/bin/tool': '#!/bin/sh\necho hi\n' },
  manifestExtra: { binaries: ['bin/tool'] },
};
const specB: ExtensionSpec = { name: '@xfs/beta', version: '2026.07.01.1', files: { 'models/x.ts': 'x\n', 'workflows/w.yaml': 'name: w\n' } };

describe('store on another filesystem', () => {
  const shm = '/dev/shm';

  it('falls back to copies, says so once, counts them, and verifies', async (ctx) => {
    if (!fs.existsSync(shm) || fs.statSync(shm).dev === fs.statSync(box.root).dev) {
      console.log('[crossfs] skipped: /dev/shm is missing or on the same filesystem as the temp dir');
      ctx.skip();
    }
    const store = fs.mkdtempSync(path.join(shm, 'wt-xfs-store-'));
    try {
      expect(fs.statSync(store).dev).not.toBe(fs.statSync(box.root).dev);
      const repo = makeRepo(path.join(box.root, 'crossfs'));
      const a = await writeSpec(path.join(box.root, 'archives'), specA);
      const b = await writeSpec(path.join(box.root, 'archives'), specB);
      specsBySum.set(a.checksum, specA).set(b.checksum, specB);

      const res = await runCli(['extension', 'pull', a.file, b.file, '--repo-dir', repo, '--json'], { env: cliEnv(store) });
      expect(res.code, res.stderr).toBe(0);
      // One notice for the whole command, not one per extension or per file.
      expect(res.stderr.match(/another filesystem/g) ?? []).toHaveLength(1);
      for (const ext of res.json.extensions) {
        expect(ext.linked.hardlink, ext.name).toBe(0);
        expect(ext.linked.copy + ext.linked.reflink, ext.name).toBe(ext.files);
        expect(ext.files).toBeGreaterThan(0);
      }
      expect(checkWorktree(repo, specsBySum)).toEqual([]);
      const want = expectedInstall(specA);
      for (const [rel, treePath] of want.treePath) {
        expect(fs.statSync(path.join(repo, rel)).dev, rel).not.toBe(fs.statSync(storeFile(store, a.checksum, treePath)).dev);
      }
      // Copies keep Swamp's modes: a declared binary stays executable, the manifest read-only.
      expect(fs.statSync(path.join(repo, '.swamp/pulled-extensions/@xfs/alpha/files/bin/tool')).mode & 0o111).not.toBe(0);
      expect(fs.statSync(path.join(repo, '.swamp/pulled-extensions/@xfs/alpha/manifest.yaml')).mode & 0o777).toBe(0o444);

      const v = await runCli(['extension', 'verify', '--repo-dir', repo, '--json'], { env: cliEnv(store) });
      expect(v.json).toEqual({ ok: true, problems: [] });

      // --link-mode hardlink promises links: across filesystems that is a clear refusal, and nothing changes.
      const strict = makeRepo(path.join(box.root, 'crossfs-strict'));
      const h = await runCli(['extension', 'pull', a.file, '--link-mode', 'hardlink', '--repo-dir', strict, '--json'], { env: cliEnv(store) });
      expect(h.code).toBe(1);
      expect(h.errorJson).toMatchObject({ code: 'E_LINK' });
      expect(h.errorJson.error).toMatch(/another filesystem/);
      expect(checkWorktree(strict, specsBySum)).toEqual([]);
      expect(fs.existsSync(path.join(strict, 'extensions/models/upstream_extensions.json'))).toBe(false);
    } finally {
      fs.rmSync(store, { recursive: true, force: true });
    }
  }, LONG);
});

describe('tamper', () => {
  const spec: ExtensionSpec = { name: '@xfs/tamper', version: '2026.07.02.1', files: { 'models/victim.ts': 'export const pristine = true;\n', 'models/other.ts': 'other\n' } };
  const victim = '.swamp/pulled-extensions/@xfs/tamper/models/victim.ts';

  it('a write through a hardlink in worktree A: B gets pristine bytes and says so, A verifies as modified', async () => {
    const store = path.join(box.root, 'store');
    const A = makeRepo(path.join(box.root, 'tamper-a'));
    const B = makeRepo(path.join(box.root, 'tamper-b'));
    const { file, checksum } = await writeSpec(path.join(box.root, 'archives'), spec);
    specsBySum.set(checksum, spec);
    const env = cliEnv(store);

    expect((await runCli(['extension', 'pull', file, '--repo-dir', A, '--json'], { env })).code).toBe(0);
    const storeCopy = storeFile(store, checksum, 'ext/models/victim.ts');
    expect(fs.statSync(path.join(A, victim)).ino).toBe(fs.statSync(storeCopy).ino);
    expect(fs.statSync(path.join(A, victim)).mode & 0o222, 'linked files are read-only').toBe(0);

    // Root ignores the 0444 mode: the write lands in the shared inode, so the store's copy changes too.
    fs.writeFileSync(path.join(A, victim), 'export const pristine = false; // tampered\n');
    expect(fs.readFileSync(storeCopy, 'utf8')).toContain('tampered');

    const pb = await runCli(['extension', 'pull', file, '--repo-dir', B, '--json'], { env });
    expect(pb.code, pb.stderr).toBe(0);
    expect(pb.json.extensions[0].repaired).toEqual(['ext/models/victim.ts']);
    expect(pb.stderr).toMatch(/Warning: the store copy of @xfs\/tamper@2026\.07\.02\.1 had been modified \(1 file\)/);
    const wantBytes = expectedInstall(spec).files.get(victim) as Buffer;
    expect(fs.readFileSync(path.join(B, victim)).equals(wantBytes)).toBe(true);
    expect(fs.statSync(path.join(B, victim)).ino).not.toBe(fs.statSync(path.join(A, victim)).ino);
    expect(fs.readFileSync(storeFile(store, checksum, 'ext/models/victim.ts')).equals(wantBytes), 'the store holds pristine bytes again').toBe(true);
    expect(checkWorktree(B, specsBySum)).toEqual([]);
    expect((await runCli(['extension', 'verify', '--repo-dir', B, '--json'], { env })).json).toEqual({ ok: true, problems: [] });

    const va = await runCli(['extension', 'verify', '--repo-dir', A, '--json'], { env });
    expect(va.code).toBe(1);
    expect(va.json).toEqual({ ok: false, problems: [{ name: '@xfs/tamper', path: victim, problem: 'modified' }] });

    // A's pull refuses to throw the edit away, naming the file; --force restores pristine bytes.
    const pa = await runCli(['extension', 'pull', file, '--repo-dir', A, '--json'], { env });
    expect(pa.code).toBe(1);
    expect(pa.errorJson.code).toBe('E_MODIFIED');
    expect(pa.errorJson.error).toContain(victim);
    const fa = await runCli(['extension', 'pull', file, '--force', '--repo-dir', A, '--json'], { env });
    expect(fa.code, fa.stderr).toBe(0);
    expect(checkWorktree(A, specsBySum)).toEqual([]);
    expect((await runCli(['extension', 'verify', '--repo-dir', A, '--json'], { env })).json).toEqual({ ok: true, problems: [] });
  }, LONG);

  it('a plain user cannot write the read-only store file (only root can)', async (ctx) => {
    const dir = fs.mkdtempSync(path.join(box.root, 'perm-'));
    // Every folder on the way must be reachable by the plain user, so a failure can only be the file's own mode.
    for (let d = dir; ; d = path.dirname(d)) {
      fs.chmodSync(d, (fs.statSync(d).mode & 0o7777) | 0o055);
      if (d === box.root) break;
    }
    const store = path.join(dir, 'store');
    const repo = makeRepo(path.join(dir, 'repo'));
    const { file, checksum } = await writeSpec(path.join(dir, 'archives'), spec);
    expect((await runCli(['extension', 'pull', file, '--repo-dir', repo, '--json'], { env: cliEnv(store) })).code).toBe(0);
    const target = storeFile(store, checksum, 'ext/models/victim.ts');
    const before = fs.readFileSync(target);

    let asUser: (cmd: string) => ReturnType<typeof spawnSync>;
    if (process.getuid?.() !== 0) {
      asUser = (cmd) => spawnSync('sh', ['-c', cmd]);
    } else if (spawnSync('setpriv', ['--version']).status === 0) {
      asUser = (cmd) => spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', cmd]);
    } else if (spawnSync('runuser', ['--version']).status === 0) {
      asUser = (cmd) => spawnSync('runuser', ['-u', 'nobody', '--', 'sh', '-c', cmd]);
    } else {
      console.log('[tamper] skipped the plain-user check: neither setpriv nor runuser is available');
      ctx.skip();
      return;
    }
    const quoted = `'${target.replace(/'/g, `'\\''`)}'`;
    const read = asUser(`cat ${quoted} > /dev/null`);
    expect(read.status, `the plain user must reach the file: ${read.stderr}`).toBe(0);
    const write = asUser(`echo x >> ${quoted}`);
    expect(write.status).not.toBe(0);
    expect(String(write.stderr)).toMatch(/Permission denied/i);
    // Through the worktree's hardlink, the same refusal.
    const linked = asUser(`echo x >> '${path.join(repo, victim)}'`);
    expect(linked.status).not.toBe(0);
    expect(fs.readFileSync(target).equals(before)).toBe(true);
  }, LONG);
});
