// The repair loop a user walks after editing a linked file by hand: each
// message names the command that really fixes it, and following them ends in
// a clean verify (no loop between verify, install and pull).
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeRepo, runCli } from './helpers/cli.mjs';
import { useSandbox } from './helpers/sandbox.js';
import { LOCKFILE_REL, cliEnv, writeSpec } from './fixtures/worktree-support.js';

const box = useSandbox('cli-repair-');
let archive: string;
let checksum: string;

beforeAll(async () => {
  ({ file: archive, checksum } = await writeSpec(path.join(box.root, 'archives'), { name: '@fix/ext', version: '2026.08.01.1', files: { 'models/a.ts': 'a\n', 'models/b.ts': 'b\n' } }));
});

const cli = (repo: string, ...args: string[]) => runCli([...args, '--repo-dir', repo], { env: cliEnv(box.store) });

describe('the repair loop', () => {
  it('verify -> install -> install --force ends clean, each remedy naming the next command', async () => {
    const repo = makeRepo(path.join(box.root, 'edited'));
    expect((await cli(repo, 'extension', 'pull', archive)).code).toBe(0);
    // An editor that saves by writing a new file (the store's inode is untouched).
    const file = path.join(repo, '.swamp/pulled-extensions/@fix/ext/models/a.ts');
    fs.rmSync(file);
    fs.writeFileSync(file, 'my edit\n');

    const verify = await cli(repo, 'extension', 'verify');
    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(/^modified\s+\.swamp\/pulled-extensions\/@fix\/ext\/models\/a\.ts/m);
    expect(verify.stderr).toContain("'swamp-store extension install --force'");

    const install = await cli(repo, 'extension', 'install', '--json');
    expect(install.code).toBe(1);
    expect(install.errorJson).toMatchObject({ code: 'E_MODIFIED' });
    expect(install.errorJson?.remedy).toContain("'swamp-store extension install --force'");
    expect(fs.readFileSync(file, 'utf8')).toBe('my edit\n');

    const forced = await cli(repo, 'extension', 'install', '--force', '--json');
    expect(forced.code, forced.stderr).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toBe('a\n');
    expect((await cli(repo, 'extension', 'verify')).code).toBe(0);
  });

  it('a missing file: verify names install, and install restores it', async () => {
    const repo = makeRepo(path.join(box.root, 'missing'));
    expect((await cli(repo, 'extension', 'pull', archive)).code).toBe(0);
    fs.rmSync(path.join(repo, '.swamp/pulled-extensions/@fix/ext/models/b.ts'));
    const verify = await cli(repo, 'extension', 'verify');
    expect(verify.code).toBe(1);
    expect(verify.stderr).toContain("Run 'swamp-store extension install'");
    expect((await cli(repo, 'extension', 'install')).code).toBe(0);
    expect((await cli(repo, 'extension', 'verify')).code).toBe(0);
  });

  it('an upper-case lockfile checksum is accepted offline, and written back in lower case', async () => {
    const repo = makeRepo(path.join(box.root, 'upper'));
    expect((await cli(repo, 'extension', 'pull', archive)).code).toBe(0);
    const lockfile = path.join(repo, LOCKFILE_REL);
    fs.writeFileSync(lockfile, fs.readFileSync(lockfile, 'utf8').replace(checksum, checksum.toUpperCase()));
    fs.rmSync(path.join(repo, '.swamp'), { recursive: true, force: true });
    const install = await cli(repo, 'extension', 'install', '--offline', '--json');
    expect(install.code, install.stderr).toBe(0);
    expect((install.json as { extensions: Array<{ checksum: string }> }).extensions[0]?.checksum).toBe(checksum);
    // Any write of the lockfile uses the canonical form.
    expect((await cli(repo, 'extension', 'pull', archive, '--force')).code).toBe(0);
    expect(fs.readFileSync(lockfile, 'utf8')).toContain(checksum);
    expect(fs.readFileSync(lockfile, 'utf8')).not.toContain(checksum.toUpperCase());
  });
});
