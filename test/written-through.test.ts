// A store file written through a worktree's hardlink (what Swamp's own
// `extension update` does as root): every swamp-store command that touches a
// worktree, and `cache verify --repair`, moves the written inode out of the
// store, restores a pristine file and re-links every worktree that names the
// tree. Driven through the CLI, in separate processes.
import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRepo, runCli } from './helpers/cli.mjs';
import { useSandbox } from './helpers/sandbox.js';
import type { ExtensionSpec } from './helpers/archive-builder.mjs';
import { LOCKFILE_REL, checkWorktree, cliEnv, readLockfileJson, storeFile, writeSpec } from './fixtures/worktree-support.js';

const LONG = 180_000;
const box = useSandbox('wt-written-');
const specsBySum = new Map<string, ExtensionSpec>();

const V1_FILES = { 'models/m.ts': 'export const m = "one";\n', 'models/lib/util.ts': 'export const u = 1;\n', 'bundles/m.js': '/* bundle */\n' };
const V2_FILES = { ...V1_FILES, 'models/m.ts': 'export const m = "two, longer";\n' };
const v1: ExtensionSpec = { name: '@wt/shared', version: '2026.03.01.1', files: V1_FILES };
const v2: ExtensionSpec = { ...v1, version: '2026.03.02.1', files: V2_FILES };
const M = '.swamp/pulled-extensions/@wt/shared/models/m.ts';
const UTIL = '.swamp/pulled-extensions/@wt/shared/models/lib/util.ts';

async function setUp(name: string) {
  const dir = path.join(box.root, name);
  const store = path.join(dir, 'store');
  const a = await writeSpec(path.join(dir, 'archives'), v1);
  const b = await writeSpec(path.join(dir, 'archives'), v2);
  specsBySum.set(a.checksum, v1);
  specsBySum.set(b.checksum, v2);
  const cli = (repo: string, ...args: string[]) => runCli([...args, '--repo-dir', repo, '--json'], { env: cliEnv(store) });
  const w1 = makeRepo(path.join(dir, 'w1'));
  const w2 = makeRepo(path.join(dir, 'w2'));
  for (const w of [w1, w2]) expect((await cli(w, 'extension', 'pull', a.file)).code).toBe(0);
  expect(fs.statSync(path.join(w1, M)).ino).toBe(fs.statSync(path.join(w2, M)).ino);
  return { dir, store, a, b, cli, w1, w2 };
}

/** What root's `Deno.copyFile` onto an existing path does: truncate and write the same inode, and make it 0644. */
function writeThrough(repo: string, rel: string, text: string): void {
  const abs = path.join(repo, rel);
  fs.chmodSync(abs, 0o644);
  fs.writeFileSync(abs, text);
}

describe('a store file written through a link', () => {
  it('Swamp-style update in w1: any command in w2 restores w2; w1 keeps the written file as its own', async () => {
    const { store, a, b, cli, w1, w2 } = await setUp('update');
    // Swamp updates w1: new bytes through the link, then its lockfile names the new version.
    writeThrough(w1, M, V2_FILES['models/m.ts'] as string);
    const lock = readLockfileJson(w1);
    fs.writeFileSync(path.join(w1, LOCKFILE_REL), JSON.stringify({ [v1.name]: { ...lock[v1.name], version: v2.version, checksum: b.checksum } }, null, 2) + '\n');
    expect(fs.readFileSync(path.join(w2, M), 'utf8'), 'the hazard: w2 changed with it').toContain('two');

    const list = await cli(w2, 'extension', 'list');
    expect(list.code, list.stderr).toBe(0);
    expect(list.stderr).toContain(M);
    expect(list.stderr).toContain(`Re-linked to the pristine copy: ${fs.realpathSync(w2)}`);
    expect(list.stderr).toContain(`${fs.realpathSync(w1)} keeps its written file as its own: ${M}`);
    expect(fs.readFileSync(path.join(w2, M), 'utf8')).toBe(V1_FILES['models/m.ts']);
    expect(fs.statSync(path.join(w2, M)).ino).toBe(fs.statSync(storeFile(store, a.checksum, 'ext/models/m.ts')).ino);
    expect(fs.statSync(path.join(w2, M)).mode & 0o777, 'hardlinked files stay read-only').toBe(0o444);
    expect(fs.readFileSync(path.join(w1, M), 'utf8')).toContain('two');
    expect(fs.statSync(path.join(w1, M)).ino).not.toBe(fs.statSync(path.join(w2, M)).ino);
    expect(checkWorktree(w2, specsBySum)).toEqual([]);
    expect((await cli(w2, 'extension', 'verify')).json).toEqual({ ok: true, problems: [] });
    expect((await runCli(['cache', 'verify', '--json'], { env: cliEnv(store) })).json.ok).toBe(true);

    // w1 adopts the version Swamp put there: equal files become links, the lockfile keeps its bytes.
    const w1Lock = fs.readFileSync(path.join(w1, LOCKFILE_REL), 'utf8');
    expect((await cli(w1, 'extension', 'pull', b.file)).code).toBe(0); // the store learns v2 (as any pull of it would)
    expect((await cli(w1, 'extension', 'verify')).json).toEqual({ ok: true, problems: [] });
    expect(JSON.parse(fs.readFileSync(path.join(w1, LOCKFILE_REL), 'utf8'))[v1.name].checksum).toBe(JSON.parse(w1Lock)[v1.name].checksum);
    expect(fs.readFileSync(path.join(w2, M), 'utf8')).toBe(V1_FILES['models/m.ts']);
  }, LONG);

  it('shared by several worktrees that name the tree: never one worktree\'s hand edit; every one gets the pristine file', async () => {
    const { store, a, cli, w1, w2 } = await setUp('shared');
    writeThrough(w1, UTIL, 'export const u = 2;\n'); // same size: only mtime, mode and ctime tell
    const r = await cli(w2, 'extension', 'install');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(UTIL);
    for (const w of [w1, w2]) {
      expect(fs.readFileSync(path.join(w, UTIL), 'utf8')).toBe(V1_FILES['models/lib/util.ts']);
      expect(fs.statSync(path.join(w, UTIL)).ino).toBe(fs.statSync(storeFile(store, a.checksum, 'ext/models/lib/util.ts')).ino);
      expect((await cli(w, 'extension', 'verify')).json).toEqual({ ok: true, problems: [] });
    }
    // The written bytes are not lost: the warning names where they were kept.
    const kept = /kept at (\S+) until/.exec(r.stderr)?.[1] as string;
    expect(fs.readFileSync(path.join(kept, 'ext/models/lib/util.ts'), 'utf8')).toBe('export const u = 2;\n');
  }, LONG);

  it('ctime catches a write whose mtime was put back; a new hardlink alone (ctime too) is not a write', async () => {
    const { store, a, cli, w1, w2 } = await setUp('ctime');
    const storeCopy = storeFile(store, a.checksum, 'ext/models/lib/util.ts');
    // Link activity changes ctime only: re-hashed once, found equal, nothing repaired.
    fs.linkSync(storeCopy, path.join(box.root, 'ctime', 'extra-link'));
    const quiet = await cli(w2, 'extension', 'verify');
    expect(quiet.json).toEqual({ ok: true, problems: [] });
    expect(quiet.stderr).not.toContain('written through');

    const before = fs.statSync(storeCopy);
    const ref = path.join(box.root, 'ctime', 'mtime-ref');
    expect(spawnSync('cp', ['-p', storeCopy, ref]).status).toBe(0); // keeps the timestamps to the nanosecond
    fs.writeFileSync(path.join(w1, UTIL), 'export const u = 9;\n'); // root: through the 0444 link, same size
    expect(spawnSync('touch', ['-r', ref, path.join(w1, UTIL)]).status).toBe(0); // as `cp -p` / `tar -x` would: mtime as it was
    expect(fs.statSync(storeCopy).mtimeMs).toBe(before.mtimeMs);
    expect(fs.statSync(storeCopy).size).toBe(before.size);
    const r = await cli(w2, 'extension', 'verify');
    expect(r.stderr).toContain(`${UTIL} (ctime changed)`);
    expect(r.json).toEqual({ ok: true, problems: [] });
    expect(fs.readFileSync(path.join(w2, UTIL), 'utf8')).toBe(V1_FILES['models/lib/util.ts']);
  }, LONG);

  it('cache verify --repair re-links every worktree naming the tree, and names them', async () => {
    const { cli, w1, w2, dir } = await setUp('cache-repair');
    writeThrough(w1, M, 'export const m = "oops";\n');
    const env = cliEnv(path.join(dir, 'store'));
    const found = await runCli(['cache', 'verify', '--json'], { env });
    expect(found.code).toBe(1);
    const repaired = await runCli(['cache', 'verify', '--repair', '--json'], { env });
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(repaired.stderr).toContain(fs.realpathSync(w1));
    expect(repaired.stderr).toContain(fs.realpathSync(w2));
    for (const w of [w1, w2]) {
      expect(fs.readFileSync(path.join(w, M), 'utf8')).toBe(V1_FILES['models/m.ts']);
      expect((await cli(w, 'extension', 'verify')).json).toEqual({ ok: true, problems: [] });
    }
    expect((await runCli(['cache', 'verify', '--json'], { env })).json.ok).toBe(true);
  }, LONG);

  it('two worktrees repairing at once (separate processes) both end intact', async () => {
    const { cli, w1, w2 } = await setUp('race');
    writeThrough(w1, M, 'export const m = "raced";\n');
    const [r1, r2] = await Promise.all([cli(w1, 'extension', 'install'), cli(w2, 'extension', 'install')]);
    expect(r1.code, r1.stderr).toBe(0);
    expect(r2.code, r2.stderr).toBe(0);
    for (const w of [w1, w2]) {
      expect(fs.readFileSync(path.join(w, M), 'utf8')).toBe(V1_FILES['models/m.ts']);
      expect(checkWorktree(w, specsBySum)).toEqual([]);
      expect((await cli(w, 'extension', 'verify')).json).toEqual({ ok: true, problems: [] });
    }
  }, LONG);

  it('a repairer killed after replacing the tree but before re-linking: the next command in each worktree finishes the job; a no-op install leaves the lockfile untouched', async () => {
    const { store, a, cli, w1, w2 } = await setUp('killed');
    writeThrough(w1, M, 'export const m = "half-done";\n');
    // The state a SIGKILL between the quarantine rename and the re-linking leaves: the written tree in the quarantine, no tree.
    fs.mkdirSync(path.join(store, 'v1', 'quarantine'), { recursive: true });
    fs.renameSync(path.join(store, 'v1', 'trees', a.checksum), path.join(store, 'v1', 'quarantine', `${a.checksum}-tampered-1-999999`));
    for (const w of [w2, w1]) {
      const r = await cli(w, 'extension', 'install');
      expect(r.code, r.stderr).toBe(0);
      expect(fs.readFileSync(path.join(w, M), 'utf8')).toBe(V1_FILES['models/m.ts']);
      expect(checkWorktree(w, specsBySum)).toEqual([]);
      expect((await cli(w, 'extension', 'verify')).json).toEqual({ ok: true, problems: [] });
    }
    const lockStat = fs.statSync(path.join(w1, LOCKFILE_REL));
    const again = await cli(w1, 'extension', 'install');
    expect(again.code).toBe(0);
    expect(again.stderr, 'nothing left to repair').not.toContain('written through');
    expect(fs.statSync(path.join(w1, LOCKFILE_REL)).mtimeMs, 'no lockfile rewrite when nothing changed').toBe(lockStat.mtimeMs);
  }, LONG);

  it('SIGKILL of the repairing command at random moments: the next commands always end with both worktrees intact', async () => {
    const { cli, w1, w2, store } = await setUp('sigkill');
    let typicalMs = 1500;
    const landed: string[] = [];
    for (let t = 0; t < 6; t++) {
      writeThrough(w1, M, `export const m = "trial ${t}";\n`);
      let child: ChildProcess | undefined;
      let exited = false;
      const run = runCli(['extension', 'list', '--repo-dir', w2, '--json'], { env: cliEnv(store), onSpawn: (c) => (child = c) }).then((r) => {
        exited = true;
        return r;
      });
      const delay = ((t + 0.5) / 6) * typicalMs * 1.2; // spread over the command's life, early to late
      await new Promise((r) => setTimeout(r, delay));
      if (!exited) child?.kill('SIGKILL');
      const res = await run;
      if (res.signal === 'SIGKILL') landed.push('killed');
      else {
        expect(res.code, res.stderr).toBe(0);
        typicalMs = Math.round((typicalMs + res.ms) / 2);
        landed.push('completed');
      }
      for (const w of [w2, w1]) {
        const r = await cli(w, 'extension', 'install');
        expect(r.code, `trial ${t} (${landed[t]}) in ${w}: ${r.stderr}`).toBe(0);
      }
      for (const w of [w1, w2]) {
        expect(fs.readFileSync(path.join(w, M), 'utf8'), `trial ${t} ${w}`).toBe(V1_FILES['models/m.ts']);
        expect(checkWorktree(w, specsBySum)).toEqual([]);
        expect((await cli(w, 'extension', 'verify')).json).toEqual({ ok: true, problems: [] });
      }
    }
    console.log(`written-through SIGKILL trials: ${landed.join(', ')}`);
    expect((await runCli(['cache', 'verify', '--json'], { env: cliEnv(store) })).json.ok).toBe(true);
  }, LONG);
});
