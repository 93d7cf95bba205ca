// The lockfile is committed, so it arrives with every clone and merge: it is
// hostile input. A bad one must stop every command with a clear coded error
// and leave the lockfile and every file (inside and outside the repository)
// exactly as they were.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeRepo, runCli, type CliResult } from './helpers/cli.mjs';
import { useSandbox } from './helpers/sandbox.js';
import type { ExtensionSpec } from './helpers/archive-builder.mjs';
import { LOCKFILE_REL, checkWorktree, cliEnv, readLockfileJson, walkFiles, writeSpec } from './fixtures/worktree-support.js';

const LONG = 180_000;
const box = useSandbox('wt-bad-');
let archive: string;
let archiveSum: string;
const spec: ExtensionSpec = { name: '@bad/ext', version: '2026.08.01.1', files: { 'models/a.ts': 'a\n', 'models/b.ts': 'b\n', 'bundles/x.js': 'x\n' } };

beforeAll(async () => {
  ({ file: archive, checksum: archiveSum } = await writeSpec(path.join(box.root, 'archives'), spec));
});

const cli = (repo: string, ...args: string[]) => runCli([...args, '--repo-dir', repo, '--json'], { env: cliEnv(box.store) });

/** The contract for an error under --json: nothing on stdout, exactly one JSON object on stderr with `error` and `code`. */
function expectJsonError(r: CliResult, code: string, exit = 1): void {
  expect(r.code, r.stderr).toBe(exit);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  const doc = JSON.parse(lines[0] as string) as Record<string, unknown>;
  expect(doc.code).toBe(code);
  expect(typeof doc.error).toBe('string');
  expect((doc.error as string).length).toBeGreaterThan(10);
}

/** Path -> bytes of every file under `dir` (except .git), to prove a refused command touched nothing. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of walkFiles(dir, '.')) {
    if (f.startsWith('./.git/')) continue;
    const abs = path.join(dir, f);
    out.set(f, fs.lstatSync(abs).isSymbolicLink() ? `link:${fs.readlinkSync(abs)}` : fs.readFileSync(abs).toString('base64'));
  }
  return out;
}

async function installedRepo(name: string): Promise<string> {
  const repo = makeRepo(path.join(box.root, name));
  const r = await cli(repo, 'extension', 'pull', archive);
  expect(r.code, r.stderr).toBe(0);
  return repo;
}

describe('hostile and broken input', () => {
  it('a corrupt lockfile stops every command with E_LOCKFILE and is left byte-identical', async () => {
    const repo = await installedRepo('corrupt');
    const lockfile = path.join(repo, LOCKFILE_REL);
    const broken = fs.readFileSync(lockfile, 'utf8').slice(0, 120); // cut mid-JSON, as a bad merge might
    fs.writeFileSync(lockfile, broken);
    const before = snapshot(repo);
    for (const args of [['extension', 'pull', archive], ['extension', 'install'], ['extension', 'rm', '-y', '@bad/ext'], ['extension', 'list'], ['extension', 'verify']]) {
      const r = await cli(repo, ...args);
      expectJsonError(r, 'E_LOCKFILE');
      expect(r.errorJson.error, args.join(' ')).toContain(lockfile);
      expect(fs.readFileSync(lockfile, 'utf8'), args.join(' ')).toBe(broken);
    }
    expect(snapshot(repo)).toEqual(before);
    // Without --json: a human sentence with the remedy, still exit 1.
    const human = await runCli(['extension', 'list', '--repo-dir', repo], { env: cliEnv(box.store) });
    expect(human.code).toBe(1);
    expect(human.stderr).toMatch(/^Error: Lockfile .*'git checkout -- /);
  }, LONG);

  it('rm of a name that is not installed: E_NOT_INSTALLED, nothing removed', async () => {
    const repo = await installedRepo('not-installed');
    const before = snapshot(repo);
    const r = await cli(repo, 'extension', 'rm', '-y', '@bad/nope');
    expectJsonError(r, 'E_NOT_INSTALLED');
    expect(r.errorJson.error).toContain('@bad/nope');
    // Several names, one unknown: all or nothing.
    expectJsonError(await cli(repo, 'extension', 'rm', '-y', '@bad/ext', '@bad/nope'), 'E_NOT_INSTALLED');
    expect(snapshot(repo)).toEqual(before);
  }, LONG);

  it('a lockfile path that escapes the repository is refused by every command and nothing is deleted', async () => {
    const repo = await installedRepo('escape');
    const outside = path.join(box.root, 'canary-outside.txt');
    const inside = path.join(repo, 'canary-inside.txt');
    fs.writeFileSync(outside, 'outside\n');
    fs.writeFileSync(inside, 'inside\n');
    const lockfile = path.join(repo, LOCKFILE_REL);
    for (const evil of ['../../etc/x', '../canary-outside.txt', 'canary-inside.txt', '.swamp/pulled-extensions/@bad/ext/../../../canary-inside.txt', '/etc/passwd']) {
      const entries = readLockfileJson(repo);
      const good = JSON.stringify(entries, null, 2) + '\n';
      (entries['@bad/ext'] as { files: string[] }).files.push(evil);
      const text = JSON.stringify(entries, null, 2) + '\n';
      fs.writeFileSync(lockfile, text);
      const before = snapshot(repo);
      // Every command for the first path; the destructive one (rm) for the rest.
      const commands = [['extension', 'rm', '-y', '@bad/ext'], ['extension', 'install'], ['extension', 'pull', archive, '--force'], ['extension', 'verify'], ['extension', 'list']];
      for (const args of evil === '../../etc/x' ? commands : commands.slice(0, 1)) {
        const r = await cli(repo, ...args);
        expectJsonError(r, 'E_UNSAFE_LOCKFILE');
        expect(r.errorJson.error, `${evil}: ${args.join(' ')}`).toContain(JSON.stringify(evil));
      }
      expect(snapshot(repo), evil).toEqual(before);
      expect(fs.readFileSync(outside, 'utf8')).toBe('outside\n');
      expect(fs.readFileSync(inside, 'utf8')).toBe('inside\n');
      fs.writeFileSync(lockfile, good);
    }
    // The repaired lockfile works again: the refusals left no journal to trip over.
    expect(checkWorktree(repo, new Map([[archiveSum, spec]]), { userFiles: new Set() })).toEqual([]);
    expect((await cli(repo, 'extension', 'verify')).json).toEqual({ ok: true, problems: [] });
  }, LONG);

  it('a lockfile path through a symlinked folder that leaves the repository: refused, canary kept, worktree not wedged', async () => {
    const repo = await installedRepo('symlink-escape');
    const outsideDir = path.join(box.root, 'outside-dir');
    fs.mkdirSync(outsideDir, { recursive: true });
    fs.writeFileSync(path.join(outsideDir, 'x.ts'), 'canary\n');
    // Lexically inside the extension's own folder, so only the real-path check can catch it.
    fs.symlinkSync(outsideDir, path.join(repo, '.swamp/pulled-extensions/@bad/ext/models/link'));
    const lockfile = path.join(repo, LOCKFILE_REL);
    const good = fs.readFileSync(lockfile, 'utf8');
    const entries = readLockfileJson(repo);
    (entries['@bad/ext'] as { files: string[] }).files.push('.swamp/pulled-extensions/@bad/ext/models/link/x.ts');
    fs.writeFileSync(lockfile, JSON.stringify(entries, null, 2) + '\n');
    const before = snapshot(repo);

    const r = await cli(repo, 'extension', 'rm', '-y', '@bad/ext');
    expectJsonError(r, 'E_UNSAFE_LOCKFILE');
    expect(fs.readFileSync(path.join(outsideDir, 'x.ts'), 'utf8')).toBe('canary\n');
    // All or nothing: not one file of the extension went either.
    expect(snapshot(repo)).toEqual(before);
    expect(fs.existsSync(path.join(repo, '.swamp/swamp-store/journal.json')), 'a refused plan must not leave a journal').toBe(false);

    // Once the lockfile is fixed, every command works again (no journal replaying the refused path).
    fs.writeFileSync(lockfile, good);
    fs.unlinkSync(path.join(repo, '.swamp/pulled-extensions/@bad/ext/models/link'));
    const list = await cli(repo, 'extension', 'list');
    expect(list.code, list.stderr).toBe(0);
    expect((await cli(repo, 'extension', 'rm', '-y', '@bad/ext')).code).toBe(0);
    expect(fs.readFileSync(path.join(outsideDir, 'x.ts'), 'utf8')).toBe('canary\n');
    expect(checkWorktree(repo, new Map())).toEqual([]);
  }, LONG);

  it('usage errors exit 2 with a JSON E_USAGE error under --json', async () => {
    const repo = makeRepo(path.join(box.root, 'usage'));
    expectJsonError(await cli(repo, 'extension', 'pull'), 'E_USAGE', 2);
    expectJsonError(await cli(repo, 'extension', 'rm', '-y'), 'E_USAGE', 2);
    expectJsonError(await cli(repo, 'extension', 'pull', archive, '--link-mode', 'sideways'), 'E_USAGE', 2);
    expectJsonError(await cli(repo, 'extension', 'list', '--no-such-flag'), 'E_USAGE', 2);
    expect(fs.existsSync(path.join(repo, LOCKFILE_REL))).toBe(false);
  }, LONG);
});
