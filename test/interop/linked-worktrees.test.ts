// Real Swamp writing into worktrees that swamp-store hardlinked to one store:
// its `extension update`, swamp-store's own update/outdated, and Swamp with
// the installer patch of docs/swamp-atomic-install.patch.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.mjs';
import {
  ALPHA_V1,
  ALPHA_V2,
  REAL_SWAMP_DIR,
  copyRepo,
  installedFiles,
  isBundle,
  lockText,
  read,
  SKIP,
  store as storeRun,
  storeOk,
  swamp,
  swampOk,
  useInterop,
  withoutPulledAt,
} from './support.js';


const GREET = '.swamp/pulled-extensions/@interop/alpha/models/lib/greet.ts';
const ECHO = '.swamp/pulled-extensions/@interop/alpha/models/echo.ts';
const MANIFEST = '.swamp/pulled-extensions/@interop/alpha/manifest.yaml';

describe.skipIf(Boolean(SKIP))('real Swamp writing into hardlinked worktrees', () => {
  const ix = useInterop('swamp-store-interop-links-');

  /** Two worktrees with alpha v1 pulled by swamp-store: the same store inodes in both. */
  async function linkedPair(prefix: string): Promise<[string, string]> {
    const w1 = copyRepo(ix.template, path.join(ix.work, `${prefix}-w1`));
    const w2 = copyRepo(ix.template, path.join(ix.work, `${prefix}-w2`));
    for (const w of [w1, w2]) await storeOk(['extension', 'pull', `@interop/alpha@${ALPHA_V1}`], w, ix.env);
    expect(fs.statSync(path.join(w1, GREET)).ino).toBe(fs.statSync(path.join(w2, GREET)).ino);
    return [w1, w2];
  }

  /** w2 holds alpha v1 exactly as published, read-only, and the store agrees. */
  async function expectIntactV1(w2: string, reference: Record<string, Buffer>) {
    for (const [rel, bytes] of Object.entries(reference)) expect(read(w2, rel).equals(bytes), rel).toBe(true);
    for (const rel of [GREET, ECHO, MANIFEST]) expect(fs.statSync(path.join(w2, rel)).mode & 0o777, rel).toBe(0o444);
    expect((await storeRun(['extension', 'verify', '--json'], w2, ix.env)).json).toEqual({ ok: true, problems: [] });
    const cache = await storeRun(['cache', 'verify', '--json'], w2, ix.env);
    expect(cache.json, cache.stderr).toMatchObject({ ok: true, problems: [] });
  }

  const snapshot = (w: string) => Object.fromEntries([GREET, ECHO, MANIFEST].map((rel) => [rel, read(w, rel)]));

  it("real 'extension update' in one linked worktree leaves the other intact once a swamp-store command has run, and the store clean", async () => {
    const [w1, w2] = await linkedPair('update');
    const v1 = snapshot(w2);
    const updated = await swamp(['extension', 'update'], { cwd: w1, env: ix.realEnv() });
    if (process.getuid?.() === 0) {
      // Root ignores 0444: Swamp's copy went through the link, into the store and into w2 (the hazard).
      expect(updated.code, updated.stderr).toBe(0);
      expect(read(w2, GREET).equals(v1[GREET] as Buffer), 'written through the link').toBe(false);
    } else {
      // Anyone else: the read-only hardlinks turn the write into a refusal instead of corruption.
      expect(updated.code).not.toBe(0);
      expect(updated.stdout + updated.stderr).toMatch(/EACCES|Permission denied|permission/i);
    }

    const list = await storeRun(['extension', 'list'], w2, ix.env);
    expect(list.code, list.stderr).toBe(0);
    if (process.getuid?.() === 0) {
      expect(list.stderr).toContain(GREET);
      expect(list.stderr).toContain(fs.realpathSync(w2));
    }
    await expectIntactV1(w2, v1);

    // w1, updated by Swamp, is adopted as it is: equal files become links, its lockfile keeps Swamp's bytes.
    if (process.getuid?.() === 0) {
      const swampLock = lockText(w1);
      expect(JSON.parse(swampLock)['@interop/alpha'].version).toBe(ALPHA_V2);
      await storeOk(['extension', 'install'], w1, ix.env);
      expect(lockText(w1)).toBe(swampLock);
      expect((await storeRun(['extension', 'verify', '--json'], w1, ix.env)).json).toEqual({ ok: true, problems: [] });
      expect(fs.statSync(path.join(w1, GREET)).nlink).toBeGreaterThan(1);
      await expectIntactV1(w2, v1);
    }
  });

  it("swamp-store 'extension outdated' and 'update' have Swamp's semantics, and leave the other linked worktree alone", async () => {
    const [w1, w2] = await linkedPair('ours');
    const v1 = snapshot(w2);
    const outdated = await storeRun(['extension', 'outdated', '--json'], w1, ix.env);
    expect(outdated.code, 'exit 1 when an update is available, like swamp extension outdated').toBe(1);
    expect(outdated.json).toEqual({
      extensions: [{ name: '@interop/alpha', installedVersion: ALPHA_V1, latestVersion: ALPHA_V2, status: 'update_available' }],
      hasUpdateAvailable: true,
      hasDeprecated: false,
    });
    const missing = await storeRun(['extension', 'update', '@interop/nope', '--json'], w1, ix.env);
    expect(missing.code).toBe(1);
    expect(missing.errorJson.code).toBe('E_NOT_INSTALLED');

    const updated = await storeOk(['extension', 'update', '--json'], w1, ix.env);
    expect(updated.json.summary).toEqual({ total: 1, upToDate: 0, updated: 1, failed: 0 });
    expect((await storeRun(['extension', 'outdated', '--json'], w1, ix.env)).code).toBe(0);
    await expectIntactV1(w2, v1);

    // The same as real Swamp's update in a worktree of its own: paths (the v1-only file pruned), bytes, lockfile.
    const real = copyRepo(ix.template, path.join(ix.work, 'ours-real'));
    await swampOk(['extension', 'pull', `@interop/alpha@${ALPHA_V1}`, '-y'], { cwd: real, env: ix.realEnv() });
    await swampOk(['extension', 'update'], { cwd: real, env: ix.realEnv() });
    expect(installedFiles(w1)).toEqual(installedFiles(real));
    for (const f of installedFiles(real).filter((x) => !isBundle(x))) expect(read(w1, f).equals(read(real, f)), f).toBe(true);
    // Apart from filesChecksum: Swamp's update hashes the extension folder BEFORE it prunes the old version's
    // files (libswamp/extensions/pull.ts), so its value counts notes/old.md, which is no longer there. Ours is the
    // digest of what is on disk, which is what Swamp's own fresh pull of that version records.
    const noDigest = (text: string) => withoutPulledAt(text).replace(/"filesChecksum": "[0-9a-f]+"/g, '"filesChecksum": "-"');
    expect(noDigest(lockText(w1))).toBe(noDigest(lockText(real)));
    const fresh = copyRepo(ix.template, path.join(ix.work, 'ours-fresh'));
    await swampOk(['extension', 'pull', `@interop/alpha@${ALPHA_V2}`, '-y'], { cwd: fresh, env: ix.realEnv() });
    expect(JSON.parse(lockText(w1))['@interop/alpha'].filesChecksum).toBe(JSON.parse(lockText(fresh))['@interop/alpha'].filesChecksum);
  });

  it('Swamp with docs/swamp-atomic-install.patch updates one linked worktree and leaves every other worktree and the store intact', async () => {
    const src = path.join(ix.work, 'patched-src');
    fs.mkdirSync(src);
    expect(spawnSync('tar', ['-xzf', path.join(REAL_SWAMP_DIR, 'swamp-src.tgz'), '-C', src]).status).toBe(0);
    const applied = spawnSync('git', ['apply', '-p1', path.join(ROOT, 'docs/swamp-atomic-install.patch')], { cwd: path.join(src, 'swamp'), encoding: 'utf8' });
    expect(applied.status, applied.stderr).toBe(0);

    const [w1, w2] = await linkedPair('patched');
    const w3 = copyRepo(ix.template, path.join(ix.work, 'patched-w3'));
    await storeOk(['extension', 'pull', `@interop/alpha@${ALPHA_V1}`], w3, ix.env);
    const v1 = snapshot(w2);
    const storeInode = fs.statSync(path.join(w2, GREET)).ino;
    const r = await swamp(['extension', 'update'], { cwd: w1, env: { ...ix.realEnv(), SWAMP_REAL_SRC: src }, timeoutMs: 300_000 });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(JSON.parse(lockText(w1))['@interop/alpha'].version).toBe(ALPHA_V2);
    expect(read(w1, GREET).toString()).toContain('hi there');
    // Before any swamp-store command: nothing was written through, not even the file's mode.
    for (const w of [w2, w3]) {
      for (const [rel, bytes] of Object.entries(v1)) expect(read(w, rel).equals(bytes), `${w} ${rel}`).toBe(true);
      expect(fs.statSync(path.join(w, GREET)).ino).toBe(storeInode);
    }
    const verify = await storeRun(['extension', 'verify', '--json'], w2, ix.env);
    expect(verify.stderr, 'no store repair was needed').not.toContain('written through');
    await expectIntactV1(w2, v1);
    await expectIntactV1(w3, v1);
  }, 360_000);
});
