// swamp-store against the real Swamp CLI: the same pull gives the same
// worktree and lockfile; each reads and maintains what the other wrote.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ALPHA_V2,
  copyRepo,
  installedFiles,
  isBundle,
  lockText,
  read,
  SKIP,
  storeOk,
  store as storeRun,
  swampOk,
  useInterop,
  withoutPulledAt,
  LOCKFILE_REL,
} from './support.js';


describe.skipIf(Boolean(SKIP))('real Swamp and swamp-store on one repository', () => {
  const ix = useInterop('swamp-store-interop-');

  it('pulls the same names in the same order to the same paths, the same non-bundle bytes and the same lockfile bytes (apart from pulledAt)', async () => {
    const real = copyRepo(ix.template, path.join(ix.work, 'parity-real'));
    const mine = copyRepo(ix.template, path.join(ix.work, 'parity-mine'));
    // delta needs gamma (a skill), which needs alpha (bundles); then alpha by name, already there.
    const names = ['@interop/delta', '@interop/alpha'];
    for (const n of names) await swampOk(['extension', 'pull', n, '-y'], { cwd: real, env: ix.realEnv() });
    await storeOk(['extension', 'pull', ...names, '--json'], mine, ix.env);

    const files = installedFiles(real);
    expect(files).toContain('.claude/skills/interop-skill/SKILL.md');
    expect(files.some(isBundle)).toBe(true);
    expect(installedFiles(mine)).toEqual(files);
    for (const f of files.filter((x) => !isBundle(x))) expect(read(mine, f).equals(read(real, f)), f).toBe(true);
    // Dependencies resolved as Swamp does (a bare name: the latest stable); each entry's bytes as Swamp writes them.
    expect(JSON.parse(lockText(real))['@interop/alpha'].version).toBe(ALPHA_V2);
    const entries = (text: string) => Object.fromEntries(Object.entries(JSON.parse(withoutPulledAt(text)) as Record<string, unknown>).map(([k, v]) => [k, JSON.stringify(v, null, 2)]));
    expect(entries(lockText(mine))).toEqual(entries(lockText(real)));
    // The whole file, in Swamp's order: the names as given, each dependency after the extension that needs it.
    expect(withoutPulledAt(lockText(mine))).toBe(withoutPulledAt(lockText(real)));
  });

  it("real Swamp lists, finds and runs a model from swamp-store's hardlinked worktree", async () => {
    const mine = copyRepo(ix.template, path.join(ix.work, 'load-mine'));
    await storeOk(['extension', 'pull', '@interop/delta'], mine, ix.env);
    const model = path.join(mine, '.swamp/pulled-extensions/@interop/delta/models/delta.ts');
    expect(fs.statSync(model).nlink, 'a hardlink into the store').toBeGreaterThan(1);

    const list = JSON.parse((await swampOk(['extension', 'list', '--json'], { cwd: mine, env: ix.realEnv() })).stdout);
    expect(list.extensions.map((e: { name: string }) => e.name).sort()).toEqual(['@interop/alpha', '@interop/delta', '@interop/gamma']);
    const types = JSON.parse((await swampOk(['model', 'type', 'search', '--json'], { cwd: mine, env: ix.realEnv() })).stdout);
    expect(types.results.map((t: { raw: string }) => t.raw)).toEqual(expect.arrayContaining(['@interop/alpha', '@interop/delta']));
    const run = await swampOk(['model', 'method', 'run', '@interop/delta', 'hello', 'd1', '--json'], { cwd: mine, env: ix.realEnv() });
    expect(run.stdout + run.stderr).toContain('greetings delta');

    // Swamp's loader ran over the worktree: the store and the worktree are still as published.
    expect((await storeRun(['extension', 'verify', '--json'], mine, ix.env)).json).toEqual({ ok: true, problems: [] });
    expect((await storeRun(['cache', 'verify', '--json'], mine, ix.env)).json.ok).toBe(true);
  });

  it("swamp-store adopts, verifies, removes from and restores real Swamp's worktree, leaving the lockfile bytes alone", async () => {
    const real = copyRepo(ix.template, path.join(ix.work, 'adopt-real'));
    await swampOk(['extension', 'pull', '@interop/gamma', '-y'], { cwd: real, env: ix.realEnv() });
    const swampLock = lockText(real);
    const skill = '.claude/skills/interop-skill/SKILL.md';
    const greet = '.swamp/pulled-extensions/@interop/alpha/models/lib/greet.ts';
    // A hand edit Swamp's worktree may carry: adoption must keep it and say so.
    fs.appendFileSync(path.join(real, skill), '\nmy note\n');

    const adopted = await storeOk(['extension', 'install', '--json'], real, ix.env);
    expect(lockText(real)).toBe(swampLock);
    const gamma = adopted.json.extensions.find((e: { name: string }) => e.name === '@interop/gamma');
    expect(gamma.kept).toEqual([skill]);
    expect(adopted.stderr).toContain(skill);
    expect(fs.readFileSync(path.join(real, skill), 'utf8')).toContain('my note');
    expect(fs.statSync(path.join(real, greet)).nlink, 'equal bytes became a link to the store').toBeGreaterThan(1);
    const bundle = installedFiles(real).find(isBundle) as string;
    expect(fs.statSync(path.join(real, bundle)).nlink, 'bundles stay private').toBe(1);

    const verify = await storeRun(['extension', 'verify', '--json'], real, ix.env);
    expect(verify.json.problems).toEqual([{ name: '@interop/gamma', path: skill, problem: 'modified' }]);
    fs.rmSync(path.join(real, skill)); // the user drops the edit; install puts the published file back
    await storeOk(['extension', 'install'], real, ix.env);
    expect((await storeRun(['extension', 'verify', '--json'], real, ix.env)).json).toEqual({ ok: true, problems: [] });
    expect(lockText(real)).toBe(swampLock);

    await storeOk(['extension', 'rm', '@interop/gamma', '-y'], real, ix.env);
    expect(fs.existsSync(path.join(real, '.claude/skills/interop-skill'))).toBe(false);
    const afterRm = JSON.parse((await swampOk(['extension', 'list', '--json'], { cwd: real, env: ix.realEnv() })).stdout);
    expect(afterRm.extensions.map((e: { name: string }) => e.name)).toEqual(['@interop/alpha']);

    fs.writeFileSync(path.join(real, LOCKFILE_REL), swampLock); // what `git checkout` of the lockfile does
    await storeOk(['extension', 'install'], real, ix.env);
    expect(lockText(real)).toBe(swampLock);
    expect((await storeRun(['extension', 'verify', '--json'], real, ix.env)).json).toEqual({ ok: true, problems: [] });
    const restored = JSON.parse((await swampOk(['extension', 'list', '--json'], { cwd: real, env: ix.realEnv() })).stdout);
    expect(restored.extensions.map((e: { name: string }) => e.name).sort()).toEqual(['@interop/alpha', '@interop/gamma']);
  });
});
