// Every command, every kind of bad input: each ends in a coded error (one JSON
// document on stderr with --json), exit 1 or 2, no stack trace, and nothing
// left behind in the store or the worktree. A closed stdout ends quietly. The
// read-only store is exercised as a non-root user (setpriv), as it is met in
// CI caches and read-only container mounts.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, makeRepo, runCli, type CliResult } from './helpers/cli.mjs';
import { useSandbox } from './helpers/sandbox.js';
import { cliEnv, writeSpec } from './fixtures/worktree-support.js';

const NOBODY = ['setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups'];
const isRoot = process.getuid?.() === 0 && fs.existsSync('/usr/bin/setpriv');

const box = useSandbox('cli-bad-');
let repo: string;
let archive: string;
let other: string;
let noRepo: string;
let aFile: string;
let aFolder: string;

beforeAll(async () => {
  // Traversable by the non-root user of the read-only cases.
  fs.chmodSync(box.root, 0o755);
  ({ file: archive } = await writeSpec(path.join(box.root, 'archives'), { name: '@bad/one', version: '2026.08.01.1', files: { 'models/a.ts': 'a\n', 'bundles/x.js': 'x\n' } }));
  ({ file: other } = await writeSpec(path.join(box.root, 'archives'), { name: '@bad/two', version: '2026.08.01.1', files: { 'models/b.ts': 'b\n' } }));
  fs.chmodSync(path.join(box.root, 'archives'), 0o755);
  for (const f of [archive, other]) fs.chmodSync(f, 0o644);
  repo = makeRepo(path.join(box.root, 'repo'));
  const r = await runCli(['extension', 'pull', archive, '--repo-dir', repo, '--json'], { env: cliEnv(box.store) });
  expect(r.code, r.stderr).toBe(0);
  noRepo = path.join(box.root, 'not-a-repo');
  fs.mkdirSync(noRepo);
  aFile = path.join(box.root, 'a-file');
  fs.writeFileSync(aFile, 'not a folder\n');
  aFolder = path.join(box.root, 'a-folder');
  fs.mkdirSync(aFolder);
}, 120_000);

/** Every command with the arguments that make it do real work when all is well. */
const COMMANDS: Record<string, { args: () => string[]; repo: boolean; store: boolean }> = {
  pull: { args: () => ['extension', 'pull', archive], repo: true, store: true },
  install: { args: () => ['extension', 'install', '--offline'], repo: true, store: true },
  rm: { args: () => ['extension', 'rm', '@bad/none', '-y'], repo: true, store: true },
  list: { args: () => ['extension', 'list'], repo: true, store: false },
  verify: { args: () => ['extension', 'verify'], repo: true, store: true },
  update: { args: () => ['extension', 'update', '--registry', 'http://127.0.0.1:9'], repo: true, store: true },
  outdated: { args: () => ['extension', 'outdated', '--registry', 'http://127.0.0.1:9'], repo: true, store: true },
  gc: { args: () => ['cache', 'gc', '-y'], repo: false, store: true },
  cacheVerify: { args: () => ['cache', 'verify'], repo: false, store: true },
  ls: { args: () => ['cache', 'ls'], repo: false, store: true },
  path: { args: () => ['cache', 'path'], repo: false, store: false },
};

interface Case {
  name: string;
  args: () => string[];
  code: string;
  exit: number;
  env?: () => Record<string, string>;
  cwd?: () => string;
}

const cases: Case[] = [];
for (const [name, c] of Object.entries(COMMANDS)) {
  cases.push({ name: `${name}: bad flag`, args: () => [...c.args(), '--bogus'], code: 'E_USAGE', exit: 2 });
  if (c.repo) {
    cases.push({ name: `${name}: no repository`, args: c.args, code: 'E_REPO', exit: 1, cwd: () => noRepo });
    cases.push({ name: `${name}: missing --repo-dir`, args: () => [...c.args(), '--repo-dir', path.join(box.root, 'missing')], code: 'E_REPO', exit: 1 });
    cases.push({ name: `${name}: --repo-dir is a file`, args: () => [...c.args(), '--repo-dir', aFile], code: 'E_REPO', exit: 1 });
  }
  if (c.store) {
    cases.push({ name: `${name}: store folder is a file`, args: c.args, code: 'E_STORE', exit: 1, env: () => ({ SWAMP_STORE_DIR: aFile }) });
    cases.push({ name: `${name}: store path goes through a file`, args: c.args, code: 'E_STORE', exit: 1, env: () => ({ SWAMP_STORE_DIR: path.join(aFile, 'store') }) });
  }
  if (c.store || name === 'path') {
    cases.push({ name: `${name}: relative SWAMP_STORE_DIR`, args: c.args, code: 'E_USAGE', exit: 2, env: () => ({ SWAMP_STORE_DIR: 'relative/store' }) });
  }
}
cases.push(
  { name: 'pull: missing path', args: () => ['extension', 'pull', './missing.tar.gz'], code: 'E_NOT_FOUND', exit: 1 },
  { name: 'pull: a folder', args: () => ['extension', 'pull', aFolder], code: 'E_USAGE', exit: 2 },
  { name: 'pull: a bare word', args: () => ['extension', 'pull', 'myorg-alpha'], code: 'E_NOT_FOUND', exit: 1 },
  { name: 'pull: not an archive', args: () => ['extension', 'pull', aFile], code: 'E_ARCHIVE_CORRUPT', exit: 1 },
  { name: 'pull: bad name', args: () => ['extension', 'pull', '@Bad Name'], code: 'E_NOT_FOUND', exit: 1 },
  { name: 'pull: bad channel', args: () => ['extension', 'pull', '@bad/one', '--channel', 'nightly'], code: 'E_USAGE', exit: 2 },
  { name: 'pull: no ref', args: () => ['extension', 'pull'], code: 'E_USAGE', exit: 2 },
  { name: 'pull: name offline, not in store', args: () => ['extension', 'pull', '@bad/none@1', '--offline'], code: 'E_NOT_FOUND', exit: 1 },
  { name: 'rm: a bare word', args: () => ['extension', 'rm', 'myorg-alpha', '-y'], code: 'E_NOT_INSTALLED', exit: 1 },
  { name: 'gc: bad --max-age', args: () => ['cache', 'gc', '--max-age', 'soon', '-y'], code: 'E_USAGE', exit: 2 },
  { name: 'serve: missing --dir', args: () => ['registry', 'serve', '--dir', path.join(box.root, 'missing')], code: 'E_NOT_FOUND', exit: 1 },
  { name: 'serve: --dir is a file', args: () => ['registry', 'serve', '--dir', aFile], code: 'E_NOT_FOUND', exit: 1 },
  { name: 'serve: bad port', args: () => ['registry', 'serve', '--dir', aFolder, '--port', 'x'], code: 'E_USAGE', exit: 2 },
  { name: 'unknown command', args: () => ['extension', 'frobnicate'], code: 'E_USAGE', exit: 2 },
);

/** What a command may leave in the store: nothing in flight (temp roots, staging, cacache temp files). */
function storeLeftovers(dir: string): string[] {
  const found: string[] = [];
  for (const sub of ['v1/temp-roots', 'v1/tmp', 'v1/cas/tmp']) {
    const abs = path.join(dir, sub);
    if (fs.existsSync(abs)) for (const n of fs.readdirSync(abs)) found.push(`${sub}/${n}`);
  }
  return found;
}

/** Staging or a journal in the worktree means a half-done transaction. */
function worktreeLeftovers(dir: string): string[] {
  const own = path.join(dir, '.swamp', 'swamp-store');
  const found = fs.existsSync(path.join(own, 'journal.json')) ? ['journal.json'] : [];
  const staging = path.join(own, 'staging');
  if (fs.existsSync(staging)) found.push(...fs.readdirSync(staging).map((n) => `staging/${n}`));
  return found;
}

function expectCleanFailure(r: CliResult, code: string, exit: number): void {
  expect(r.code, r.stderr).toBe(exit);
  expect(r.stdout).toBe('');
  expect(r.stderr, 'a stack trace').not.toMatch(/\n\s+at |node:internal|Unhandled|Node\.js v/);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  const doc = JSON.parse(lines[0] as string) as { code: string; error: string; remedy?: string };
  expect(doc.code, r.stderr).toBe(code);
  expect(doc.error.length).toBeGreaterThan(10);
}

describe('every command with bad input', () => {
  it.each(cases)('$name', async (c) => {
    const before = fs.readFileSync(path.join(repo, 'extensions/models/upstream_extensions.json'), 'utf8');
    const args = [...c.args(), '--json'];
    const usesRepoFlag = args.includes('--repo-dir') || c.cwd !== undefined || args[0] !== 'extension';
    const r = await runCli(usesRepoFlag ? args : [...args, '--repo-dir', repo], { env: cliEnv(box.store, c.env?.() ?? {}), cwd: c.cwd?.() ?? repo });
    expectCleanFailure(r, c.code, c.exit);
    expect(storeLeftovers(box.store)).toEqual([]);
    expect(worktreeLeftovers(repo)).toEqual([]);
    expect(fs.readFileSync(path.join(repo, 'extensions/models/upstream_extensions.json'), 'utf8')).toBe(before);
    // Without --json: the same failure as one human line, still no trace (pull and ls rows: every kind of input, half the processes).
    if (!/^(pull|ls):/.test(c.name)) return;
    const human = await runCli(usesRepoFlag ? c.args() : [...c.args(), '--repo-dir', repo], { env: cliEnv(box.store, c.env?.() ?? {}), cwd: c.cwd?.() ?? repo });
    expect(human.code).toBe(c.exit);
    expect(human.stderr).toMatch(/^error: /i);
    expect(human.stderr).not.toMatch(/\n\s+at |node:internal|Unhandled/);
  });

  it('a corrupt archive pulled by path does not stay in the store, and the error names it', async () => {
    const r = await runCli(['extension', 'pull', aFile, '--repo-dir', repo, '--json'], { env: cliEnv(box.store) });
    expect(r.errorJson?.error).toContain(aFile);
    const ls = await runCli(['cache', 'ls', '--json'], { env: cliEnv(box.store) });
    const listing = ls.json as { archives: Array<{ name?: string }> };
    expect(listing.archives.map((a) => a.name)).toEqual(['@bad/one']);
  });
});

/** Runs the CLI with stdout closed by the reader after the first line, as `| head -1` does. */
function runWithClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...cliEnv(box.store) }, cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.once('data', () => child.stdout.destroy());
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('a closed stdout', () => {
  for (const args of [['cache', 'ls'], ['extension', 'list'], ['extension', 'verify'], ['cache', 'verify'], ['extension', 'pull', '@bad/one@2026.08.01.1', '--offline']]) {
    it(`${args.join(' ')} | head -1 ends quietly`, async () => {
      const r = await runWithClosedStdout(args);
      expect(r.stderr).not.toMatch(/EPIPE|\n\s+at /);
      expect(r.code).toBe(0);
      expect(storeLeftovers(box.store)).toEqual([]);
    });
  }
});

describe.runIf(isRoot)('a store this user cannot write (as uid 65534)', () => {
  let roStore: string;
  let userRepo: string;

  beforeAll(async () => {
    roStore = path.join(box.root, 'ro-store');
    const r = await runCli(['extension', 'pull', archive, '--repo-dir', makeRepo(path.join(box.root, 'filler')), '--json'], { env: cliEnv(roStore) });
    expect(r.code, r.stderr).toBe(0);
    // The store as another account (or CI) left it: everything readable, nothing writable by others.
    fs.chmodSync(roStore, 0o755);
    userRepo = makeRepo(path.join(box.root, 'user-repo'));
    fs.mkdirSync(path.join(userRepo, 'extensions/models'), { recursive: true });
    fs.copyFileSync(path.join(box.root, 'filler/extensions/models/upstream_extensions.json'), path.join(userRepo, 'extensions/models/upstream_extensions.json'));
    fs.chownSync(userRepo, 65534, 65534);
    for (const f of ['.swamp.yaml', '.git', 'extensions', 'extensions/models', 'extensions/models/upstream_extensions.json']) fs.chownSync(path.join(userRepo, f), 65534, 65534);
  });

  const asNobody = (args: string[], storeDir = roStore) =>
    runCli([...args, ...(args[0] === 'extension' ? ['--repo-dir', userRepo] : []), '--json'], { env: cliEnv(storeDir), prefix: NOBODY, cwd: '/' });

  function storeSnapshot(): string[] {
    const out: string[] = [];
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const abs = path.join(d, e.name);
        const st = fs.lstatSync(abs);
        out.push(`${path.relative(roStore, abs)} ${st.size} ${st.mtimeMs}`);
        if (e.isDirectory()) walk(abs);
      }
    };
    walk(roStore);
    return out.sort();
  }

  it('serves install --offline and a pull of what it holds, writing nothing into it', async () => {
    const before = storeSnapshot();
    const install = await runCli(['extension', 'install', '--offline', '--repo-dir', userRepo, '--json'], { env: cliEnv(roStore), prefix: NOBODY, cwd: '/' });
    expect(install.code, install.stderr).toBe(0);
    expect((install.json as { extensions: Array<{ files: number }> }).extensions[0]?.files).toBe(3);
    const pull = await asNobody(['extension', 'pull', archive, '--force']);
    expect(pull.code, pull.stderr).toBe(0);
    const byName = await asNobody(['extension', 'pull', '@bad/one@2026.08.01.1', '--offline']);
    expect(byName.code, byName.stderr).toBe(0);
    const verify = await asNobody(['extension', 'verify']);
    expect(verify.code, verify.stderr).toBe(0);
    const ls = await runCli(['cache', 'ls', '--json'], { env: cliEnv(roStore), prefix: NOBODY, cwd: '/' });
    expect(ls.code, ls.stderr).toBe(0);
    expect((ls.json as { trees: unknown[] }).trees).toHaveLength(1);
    expect(storeSnapshot()).toEqual(before);
  });

  it('what it lacks, and commands that must write, are a clear E_STORE', async () => {
    const before = storeSnapshot();
    for (const args of [['extension', 'pull', other], ['cache', 'gc', '-y'], ['cache', 'verify', '--repair']]) {
      const r = await asNobody(args);
      expectCleanFailure(r, 'E_STORE', 1);
      expect(r.errorJson?.error).toContain('SWAMP_STORE_DIR');
    }
    expect(storeSnapshot()).toEqual(before);
    expect(worktreeLeftovers(userRepo)).toEqual([]);
  });

  it('a store folder this user cannot create is E_STORE naming SWAMP_STORE_DIR', async () => {
    const locked = path.join(box.root, 'locked');
    fs.mkdirSync(locked, { mode: 0o755 });
    const r = await asNobody(['extension', 'pull', archive], path.join(locked, 'store'));
    expectCleanFailure(r, 'E_STORE', 1);
    expect(r.errorJson?.error).toContain('SWAMP_STORE_DIR');
    expect(fs.readdirSync(locked)).toEqual([]);
  });
});

/** Whether this process may make a private mount namespace with a read-only bind mount (root in most CI containers). */
function canMountReadOnly(): boolean {
  if (!isRoot) return false;
  try {
    execFileSync('unshare', ['-m', 'sh', '-c', 'mount --bind / /mnt && mount -o remount,bind,ro /mnt'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

describe.runIf(canMountReadOnly())('a store on a read-only mount (EROFS, even for root)', () => {
  // Runs the CLI in its own mount namespace where the store folder is bind-mounted read-only onto itself.
  const RO_MOUNT = (dir: string) => ['unshare', '-m', 'sh', '-c', 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"', dir];

  it('serves install --offline from what it holds; what it lacks is E_STORE', async () => {
    const roStore = path.join(box.root, 'mounted-store');
    const filler = makeRepo(path.join(box.root, 'mount-filler'));
    expect((await runCli(['extension', 'pull', archive, '--repo-dir', filler, '--json'], { env: cliEnv(roStore) })).code).toBe(0);
    const repo2 = makeRepo(path.join(box.root, 'mount-user'));
    fs.mkdirSync(path.join(repo2, 'extensions/models'), { recursive: true });
    fs.copyFileSync(path.join(filler, 'extensions/models/upstream_extensions.json'), path.join(repo2, 'extensions/models/upstream_extensions.json'));
    const install = await runCli(['extension', 'install', '--offline', '--repo-dir', repo2, '--json'], { env: cliEnv(roStore), prefix: RO_MOUNT(roStore) });
    expect(install.code, install.stderr).toBe(0);
    expect((install.json as { extensions: Array<{ files: number }> }).extensions[0]?.files).toBe(3);
    const lacking = await runCli(['extension', 'pull', other, '--repo-dir', repo2, '--json'], { env: cliEnv(roStore), prefix: RO_MOUNT(roStore) });
    expectCleanFailure(lacking, 'E_STORE', 1);
    expect(lacking.errorJson?.error).toContain('SWAMP_STORE_DIR');
    expect(storeLeftovers(roStore)).toEqual([]);
  });
});
