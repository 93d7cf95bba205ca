// Agents in different git worktrees of one repository share ONE extraction
// and never wait for each other: 8 real `git worktree add` worktrees pull the
// same archive at once, each in its own OS process.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from './helpers/cli.mjs';
import { useSandbox } from './helpers/sandbox.js';
import { generateExtension, nextVersion } from './helpers/sample-corpus.mjs';
import { checkWorktree, cliEnv, expectedInstall, storeFile, writeSpec } from './fixtures/worktree-support.js';
import type { ExtensionSpec } from './helpers/archive-builder.mjs';

const WORKTREES = 8;
const LONG = 300_000;
const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Swamp Test',
  GIT_AUTHOR_EMAIL: 'test@example.invalid',
  GIT_COMMITTER_NAME: 'Swamp Test',
  GIT_COMMITTER_EMAIL: 'test@example.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};
/** The line the CLI prints after a second of waiting for a lock. */
const WORKTREE_LOCK_WAIT = /Waiting for lock \S*upstream_extensions\.json\.lock/;

const box = useSandbox('wt-git-');
let worktrees: string[];
const specsBySum = new Map<string, ExtensionSpec>();

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: GIT_ENV, stdio: 'pipe' }).toString();

beforeAll(() => {
  const main = path.join(box.root, 'main');
  fs.mkdirSync(main);
  git(main, 'init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(main, '.swamp.yaml'), 'tools: [claude, cursor]\n');
  fs.writeFileSync(path.join(main, '.gitignore'), '.swamp/\n');
  git(main, 'add', '.swamp.yaml', '.gitignore');
  git(main, 'commit', '-q', '-m', 'swamp repo');
  worktrees = [];
  for (let i = 0; i < WORKTREES; i++) {
    const wt = path.join(box.root, `agent-${i}`);
    git(main, 'worktree', 'add', '-q', '-b', `agent-${i}`, wt);
    expect(fs.statSync(path.join(wt, '.git')).isFile(), 'a linked worktree has a .git FILE').toBe(true);
    worktrees.push(fs.realpathSync(wt));
  }
});

describe('many git worktrees, one store', () => {
  it('8 worktrees pull the same archive at once: one extraction, shared inodes, no cross-worktree lock wait', async () => {
    const spec = generateExtension({ name: '@wt/shared', version: '2026.04.01.1', files: 40, bytes: 200_000, withBundles: true, withSkills: true });
    const { file, checksum } = await writeSpec(path.join(box.root, 'archives'), spec);
    specsBySum.set(checksum, spec);
    // No --repo-dir: each process finds its repository from its working directory, through the worktree's .git file.
    const results = await Promise.all(worktrees.map((wt) => runCli(['extension', 'pull', file, '--json'], { cwd: wt, env: cliEnv(box.store) })));
    console.log(`[git-worktrees] per-process wall ms: ${results.map((r) => r.ms).join(' ')}`);

    const statuses = results.map((r, i) => {
      expect(r.code, `worktree ${i}: ${r.stderr}`).toBe(0);
      expect(r.json.repoDir).toBe(worktrees[i]);
      expect(r.stderr, `worktree ${i} waited for a worktree lock`).not.toMatch(WORKTREE_LOCK_WAIT);
      return r.json.extensions[0].store as string;
    });
    expect(statuses.filter((s) => s === 'extracted')).toHaveLength(1);
    for (const s of statuses) expect(['extracted', 'waited', 'hit']).toContain(s);
    // Each worktree's lock is its own file: the design that makes cross-worktree waiting impossible.
    expect(new Set(results.map((r) => r.json.lockfile)).size).toBe(WORKTREES);

    const want = expectedInstall(spec, ['.claude/skills', '.cursor/skills']);
    let linked = 0;
    for (const wt of worktrees) {
      expect(checkWorktree(wt, specsBySum, { skillsDirs: ['.claude/skills', '.cursor/skills'] }), wt).toEqual([]);
      for (const [rel, treePath] of want.treePath) {
        const here = fs.statSync(path.join(wt, rel));
        const there = fs.statSync(storeFile(box.store, checksum, treePath));
        if (want.bundles.has(rel)) {
          expect(here.ino, `${rel} is a bundle: Swamp rewrites it in place, so it must be a private copy`).not.toBe(there.ino);
        } else {
          expect([here.dev, here.ino], `${wt}/${rel}`).toEqual([there.dev, there.ino]);
          linked++;
        }
      }
    }
    expect(want.bundles.size).toBeGreaterThan(0);
    expect(linked).toBeGreaterThan(WORKTREES * 30);
    // One inode per linked file, however many worktrees: 8 worktrees + the store.
    const [firstLinked] = [...want.treePath].find(([rel]) => !want.bundles.has(rel)) ?? [];
    expect(fs.statSync(path.join(worktrees[0] as string, firstLinked as string)).nlink).toBeGreaterThanOrEqual(WORKTREES + 1);

    for (const wt of worktrees) {
      const v = await runCli(['extension', 'verify', '--json'], { cwd: wt, env: cliEnv(box.store) });
      expect(v.json, wt).toEqual({ ok: true, problems: [] });
    }
    // Each worktree registered itself as a gc root, so gc keeps what it links.
    const ls = await runCli(['cache', 'ls', '--json'], { env: cliEnv(box.store) });
    expect(ls.code, ls.stderr).toBe(0);
    const roots = new Set((ls.json.roots as { repoDir: string; alive: boolean }[]).filter((r) => r.alive).map((r) => r.repoDir));
    for (const wt of worktrees) expect(roots.has(wt), wt).toBe(true);
  }, LONG);

  it("a worktree whose lock is held does not slow the other worktrees; only its own pull waits", async () => {
    const spec = nextVersion(generateExtension({ name: '@wt/shared', version: '2026.04.01.1', files: 40, bytes: 200_000, withBundles: true, withSkills: true }));
    const { file, checksum } = await writeSpec(path.join(box.root, 'archives'), spec);
    specsBySum.set(checksum, spec);
    const [blocked, ...others] = worktrees as [string, ...string[]];
    const lockPath = path.join(blocked, 'extensions/models/upstream_extensions.json.lock');
    const holder = spawn(process.execPath, [path.join(ROOT, 'test/fixtures/worktree-lock-holder.mjs'), lockPath], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
        holder.on('exit', (code) => reject(new Error(`lock holder exited early (${code})`)));
      });
      const env = cliEnv(box.store, { SWAMP_STORE_LOCK_TIMEOUT_MS: String(LONG) });
      let blockedDone = false;
      const blockedRun = runCli(['extension', 'pull', file, '--json'], { cwd: blocked, env }).then((r) => {
        blockedDone = true;
        return r;
      });
      const results = await Promise.all(others.map((wt) => runCli(['extension', 'pull', file, '--json'], { cwd: wt, env })));
      console.log(`[git-worktrees] with worktree 0 locked, the other 7 took ms: ${results.map((r) => r.ms).join(' ')}`);
      for (const r of results) {
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).not.toMatch(WORKTREE_LOCK_WAIT);
      }
      // All seven finished while worktree 0's lock was still held by someone else.
      expect(holder.exitCode).toBe(null);
      expect(blockedDone, "worktree 0's pull cannot finish while its lock is held").toBe(false);
      for (const wt of others) expect(checkWorktree(wt, specsBySum, { skillsDirs: ['.claude/skills', '.cursor/skills'] })).toEqual([]);

      // Long enough that a waiting process must have printed its one-second wait notice.
      await new Promise((r) => setTimeout(r, 1500));
      holder.stdin.end();
      const b = await blockedRun;
      expect(b.code, b.stderr).toBe(0);
      // The detector used above is not blind: the one process that did wait says so.
      expect(b.stderr).toMatch(WORKTREE_LOCK_WAIT);
      expect(b.stderr).toContain(lockPath);
      expect(checkWorktree(blocked, specsBySum, { skillsDirs: ['.claude/skills', '.cursor/skills'] })).toEqual([]);
    } finally {
      holder.kill('SIGKILL');
    }
  }, LONG);

  it('the worktree lock is never held across extraction: a locked-out pull has already published the tree', async () => {
    const spec: ExtensionSpec = { name: '@wt/fresh', version: '2026.04.02.1', files: Object.fromEntries(Array.from({ length: 30 }, (_, k) => [`models/f${k}.ts`, `export const k = ${k};\n`])) };
    const { file, checksum } = await writeSpec(path.join(box.root, 'archives'), spec);
    specsBySum.set(checksum, spec);
    const wt = worktrees[1] as string;
    const holder = spawn(process.execPath, [path.join(ROOT, 'test/fixtures/worktree-lock-holder.mjs'), path.join(wt, 'extensions/models/upstream_extensions.json.lock')], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
        holder.on('exit', (code) => reject(new Error(`lock holder exited early (${code})`)));
      });
      let done = false;
      const run = runCli(['extension', 'pull', file, '--json'], { cwd: wt, env: cliEnv(box.store, { SWAMP_STORE_LOCK_TIMEOUT_MS: String(LONG) }) }).then((r) => {
        done = true;
        return r;
      });
      const manifest = path.join(box.store, 'v1', 'trees', checksum, '.tree.json');
      const deadline = Date.now() + 60_000;
      while (!fs.existsSync(manifest) && !done && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(fs.existsSync(manifest), 'the tree is published while the worktree lock is still held elsewhere').toBe(true);
      expect(done).toBe(false);
      holder.stdin.end();
      const r = await run;
      expect(r.code, r.stderr).toBe(0);
      expect(r.json.extensions[0].store).toBe('extracted');
      expect(checkWorktree(wt, specsBySum, { skillsDirs: ['.claude/skills', '.cursor/skills'] })).toEqual([]);
    } finally {
      holder.kill('SIGKILL');
    }
  }, LONG);
});
