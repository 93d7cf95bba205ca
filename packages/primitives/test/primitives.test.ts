import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  EXTENSION_NAME_RE,
  isExtensionName,
  isProcessAlive,
  isSha256Hex,
  lstatOrUndefined,
  lstatSyncOrUndefined,
  ownProcessStart,
  parseSha256Hex,
  processLiveness,
  syncDir,
  writeFileAtomic,
} from '../src/index.js';

const LOWER = 'ab'.repeat(32);

describe('sha256 hex', () => {
  it('accepts either case and normalises to lower case', () => {
    expect(parseSha256Hex(LOWER)).toBe(LOWER);
    expect(parseSha256Hex(LOWER.toUpperCase())).toBe(LOWER);
    expect(parseSha256Hex('Ab'.repeat(32))).toBe(LOWER);
  });

  it('refuses what is not 64 hex digits', () => {
    for (const bad of ['', 'ab'.repeat(31), 'ab'.repeat(33), 'zz'.repeat(32), `${LOWER}\n`, 42, null, undefined]) {
      expect(parseSha256Hex(bad)).toBeUndefined();
    }
  });

  it('calls only the lower-case form canonical (store folder names)', () => {
    expect(isSha256Hex(LOWER)).toBe(true);
    expect(isSha256Hex(LOWER.toUpperCase())).toBe(false);
    expect(isSha256Hex('x')).toBe(false);
  });
});

describe('extension names', () => {
  it("follows Swamp's rule", () => {
    for (const ok of ['@a/b', '@swamp/aws/ec2', '@s_1/n-2']) expect(isExtensionName(ok)).toBe(true);
    for (const bad of ['a/b', '@A/b', '@a', '@a/', '@a//b', '@a/b/', '@a/b@1', '@a/../b', 7]) expect(isExtensionName(bad)).toBe(false);
    expect(EXTENSION_NAME_RE.test('@a/b/c')).toBe(true);
  });
});

/** A fresh temp folder for each test of the describe block that calls it. */
function tempDirEach(): () => string {
  let dir: string | undefined;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'primitives-'));
  });
  afterEach(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });
  return () => dir as string;
}

describe('writeFileAtomic', () => {
  const scratch = tempDirEach();

  it('replaces the file, keeps its permissions and leaves no temp file', async () => {
    const file = path.join(scratch(), 'f.json');
    await fs.writeFile(file, 'old');
    await fs.chmod(file, 0o600);
    await writeFileAtomic(file, 'new');
    expect(await fs.readFile(file, 'utf8')).toBe('new');
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect(await fs.readdir(scratch())).toEqual(['f.json']);
  });

  it('uses the temp name given, and refuses one that exists unless told it may', async () => {
    const file = path.join(scratch(), 'j.json');
    const tmp = `${file}.tx.tmp`;
    await fs.writeFile(tmp, 'left by a crash');
    await expect(writeFileAtomic(file, 'a', { tmp })).rejects.toMatchObject({ code: 'EEXIST' });
    await fs.writeFile(tmp, 'left by a crash');
    await writeFileAtomic(file, 'b', { tmp, exclusive: false });
    expect(await fs.readFile(file, 'utf8')).toBe('b');
    expect(await fs.readdir(scratch())).toEqual(['j.json']);
  });

  it('removes its temp file and throws the error unchanged when the rename fails', async () => {
    const target = path.join(scratch(), 'is-a-dir');
    await fs.mkdir(path.join(target, 'child'), { recursive: true });
    const err = await writeFileAtomic(target, 'x').catch((e: unknown) => e);
    expect((err as NodeJS.ErrnoException).code).toMatch(/^(EISDIR|ENOTEMPTY|EEXIST)$/);
    expect((await fs.readdir(scratch())).sort()).toEqual(['is-a-dir']);
  });

  it('syncDir throws for a missing folder (not a platform limit) and passes on a real one', async () => {
    await syncDir(scratch());
    await expect(syncDir(path.join(scratch(), 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('lstatOrUndefined', () => {
  const scratch = tempDirEach();

  it('returns the stat of what is there, without following a symlink', async () => {
    await fs.writeFile(path.join(scratch(), 'f'), 'x');
    await fs.symlink('f', path.join(scratch(), 'l'));
    expect((await lstatOrUndefined(path.join(scratch(), 'f')))?.isFile()).toBe(true);
    expect(lstatSyncOrUndefined(path.join(scratch(), 'l'))?.isSymbolicLink()).toBe(true);
  });

  it('reads only ENOENT and ENOTDIR as absent', async () => {
    await fs.writeFile(path.join(scratch(), 'file'), 'x');
    for (const absent of [path.join(scratch(), 'missing'), path.join(scratch(), 'file', 'below')]) {
      expect(await lstatOrUndefined(absent)).toBeUndefined();
      expect(lstatSyncOrUndefined(absent)).toBeUndefined();
    }
  });

  it('throws any other error (ELOOP here; EACCES and EIO alike) instead of calling the path absent', async () => {
    await fs.symlink('loop', path.join(scratch(), 'loop'));
    const inside = path.join(scratch(), 'loop', 'x');
    await expect(lstatOrUndefined(inside)).rejects.toMatchObject({ code: 'ELOOP' });
    expect(() => lstatSyncOrUndefined(inside)).toThrow(expect.objectContaining({ code: 'ELOOP' }));
  });
});

describe('process liveness', () => {
  it('knows this process, and a pid on another host is unknown', () => {
    expect(processLiveness({ pid: process.pid, hostname: os.hostname() })).toBe('alive');
    expect(processLiveness({ pid: process.pid, hostname: `${os.hostname()}-elsewhere` })).toBe('unknown');
    expect(isProcessAlive(process.pid, `${os.hostname()}-elsewhere`)).toBe(true);
  });

  it('calls an exited process dead', async () => {
    const child = spawn(process.execPath, ['-e', '0']);
    const pid = child.pid as number;
    await new Promise((resolve) => child.on('exit', resolve));
    expect(processLiveness({ pid, hostname: os.hostname() })).toBe('dead');
    expect(isProcessAlive(pid, os.hostname())).toBe(false);
  });

  it.runIf(process.platform === 'linux')('calls a reused pid (another start time) and a zombie dead', async () => {
    const own = ownProcessStart();
    expect(own).toBeTruthy();
    expect(processLiveness({ pid: process.pid, hostname: os.hostname(), processStart: `${own}1` })).toBe('dead');

    // `sh` starts a short child, then becomes `sleep`, which never reaps it: a zombie.
    const sh = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombie = Number((await new Promise<string>((resolve) => sh.stdout.once('data', (d: Buffer) => resolve(d.toString())))).trim());
      let state = '';
      for (let i = 0; i < 100 && state !== 'Z'; i++) {
        const stat = await fs.readFile(`/proc/${zombie}/stat`, 'utf8');
        state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '';
        if (state !== 'Z') await new Promise((r) => setTimeout(r, 20));
      }
      expect(state).toBe('Z');
      expect(() => process.kill(zombie, 0)).not.toThrow(); // kill(0) alone would call it alive
      expect(processLiveness({ pid: zombie, hostname: os.hostname() })).toBe('dead');
      expect(isProcessAlive(zombie, os.hostname())).toBe(false);
    } finally {
      sh.kill('SIGKILL');
    }
  });
});
