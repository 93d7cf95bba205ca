// Two agents racing on ONE extension in one worktree, each a separate OS
// process: pull against rm, and two versions pulled at once. Whatever order
// the lock gives them, the end state is one consistent state, never a mix.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRepo, runCli } from './helpers/cli.mjs';
import { useSandbox } from './helpers/sandbox.js';
import type { ExtensionSpec } from './helpers/archive-builder.mjs';
import { checkWorktree, cliEnv, expectedInstall, readLockfileJson, writeSpec } from './fixtures/worktree-support.js';

const LONG = 300_000;
/** Each trial is one race; the outcome (who got the lock first) varies from trial to trial. */
const TRIALS = Number(process.env.RACE_PAIR_TRIALS ?? 6);

const box = useSandbox('wt-race-pairs-');
const specsBySum = new Map<string, ExtensionSpec>();

const pull = (repo: string, ref: string) => runCli(['extension', 'pull', ref, '--repo-dir', repo, '--json'], { env: cliEnv(box.store) });

describe('two agents, one extension, one worktree', () => {
  it('pull and rm of one extension racing end consistent: installed and verified, or absent with no files', async () => {
    const repo = makeRepo(path.join(box.root, 'pull-vs-rm'));
    const spec: ExtensionSpec = { name: '@race/pr', version: '2026.02.01.1', files: { 'models/a.ts': 'a\n', 'bundles/b.js': 'b\n', 'skills/pr-skill/SKILL.md': 's\n' } };
    const { file, checksum } = await writeSpec(box.archives, spec);
    specsBySum.set(checksum, spec);
    const outcomes = { installed: 0, absent: 0 };
    for (let t = 0; t < TRIALS; t++) {
      // Even trials start installed (the pull is a no-op, the rm has work); odd ones start absent
      // (the pull has work, the rm succeeds only if the pull got the lock first).
      const startInstalled = t % 2 === 0;
      if (startInstalled !== Boolean(readLockfileJson(repo)['@race/pr'])) {
        const setup = startInstalled ? await pull(repo, file) : await runCli(['extension', 'rm', '@race/pr', '-y', '--repo-dir', repo, '--json'], { env: cliEnv(box.store) });
        expect(setup.code, setup.stderr).toBe(0);
      }
      // rm reaches the lock faster than pull (no archive to resolve): a varying head start for pull lets either win.
      const rmDelay = (t * 397) % 900;
      const [p, rm] = await Promise.all([
        pull(repo, file),
        new Promise((r) => setTimeout(r, rmDelay)).then(() => runCli(['extension', 'rm', '@race/pr', '-y', '--repo-dir', repo, '--json'], { env: cliEnv(box.store) })),
      ]);
      expect(p.code, p.stderr).toBe(0);
      if (startInstalled) expect(rm.code, rm.stderr).toBe(0);
      else if (rm.code !== 0) expect(rm.errorJson?.code, rm.stderr).toBe('E_NOT_INSTALLED');
      const lock = readLockfileJson(repo);
      expect(checkWorktree(repo, specsBySum), `trial ${t}`).toEqual([]);
      if (lock['@race/pr']) outcomes.installed++;
      else {
        outcomes.absent++;
        for (const f of expectedInstall(spec).files.keys()) expect(fs.existsSync(path.join(repo, f)), f).toBe(false);
        expect(fs.existsSync(path.join(repo, '.swamp/pulled-extensions/@race/pr'))).toBe(false);
      }
      const v = await runCli(['extension', 'verify', '--repo-dir', repo, '--json'], { env: cliEnv(box.store) });
      expect(v.json).toEqual({ ok: true, problems: [] });
    }
    console.log(`[race] pull vs rm: ${outcomes.installed} ended installed, ${outcomes.absent} ended absent`);
  }, LONG);

  it('two versions of one extension pulled at once end as exactly one of them', async () => {
    const repo = makeRepo(path.join(box.root, 'two-versions'));
    const a: ExtensionSpec = { name: '@race/tv', version: '2026.03.01.1', files: { 'models/only-a.ts': 'a\n', 'models/shared.ts': 'shared a\n', 'bundles/x.js': 'xa\n' } };
    const b: ExtensionSpec = { name: '@race/tv', version: '2026.03.01.2', files: { 'models/only-b.ts': 'b\n', 'models/shared.ts': 'shared b\n', 'skills/tv-b/SKILL.md': 'sb\n' } };
    const wa = await writeSpec(box.archives, a);
    const wb = await writeSpec(box.archives, b);
    specsBySum.set(wa.checksum, a).set(wb.checksum, b);
    const winners: string[] = [];
    for (let t = 0; t < TRIALS; t++) {
      const [ra, rb] = await Promise.all([pull(repo, wa.file), pull(repo, wb.file)]);
      expect(ra.code, ra.stderr).toBe(0);
      expect(rb.code, rb.stderr).toBe(0);
      const entry = readLockfileJson(repo)['@race/tv'];
      expect([a.version, b.version]).toContain(entry?.version);
      winners.push(entry?.version === a.version ? 'a' : 'b');
      // checkWorktree proves the loser left nothing: no only-x file, no stale bundle or skill.
      expect(checkWorktree(repo, specsBySum), `trial ${t}`).toEqual([]);
      const v = await runCli(['extension', 'verify', '--repo-dir', repo, '--json'], { env: cliEnv(box.store) });
      expect(v.json).toEqual({ ok: true, problems: [] });
    }
    console.log(`[race] two versions at once, winners: ${winners.join('')}`);
  }, LONG);
});
