import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { buildExtensionArchive, writeArchive } from './helpers/archive-builder.mjs';
import { ensureBuilt, makeRepo, runCli, tempDir } from './helpers/cli.mjs';

/**
 * Full disk (issue 6): the store and the worktree live on a small tmpfs that
 * the test mounts (root only). Every way a pull can run out of space must end
 * in E_NO_SPACE with nothing corrupt, and the next pull after space is freed
 * must succeed.
 */
const isRoot = process.getuid?.() === 0;
let mountable = false;
/** Why mounting was refused, for the skip message. */
let mountRefused = 'not tried';
const base = tempDir('swamp-store-fulldisk-');
const mnt = path.join(base, 'mnt');

function tryMount(): boolean {
  if (!isRoot) return false;
  fs.mkdirSync(mnt, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mnt], { stdio: 'pipe' });
    return true;
  } catch (err) {
    mountRefused = (err as Error).message.split('\n')[0] ?? 'mount failed';
    process.stdout.write(`full-disk tests skipped: cannot mount tmpfs (${mountRefused})\n`);
    return false;
  }
}

function freeBytes(dir: string): number {
  const s = fs.statfsSync(dir);
  return s.bavail * s.bsize;
}

/** Leaves about `leave` bytes free on the tmpfs. */
function fillTo(leave: number): string {
  const filler = path.join(mnt, `filler-${crypto.randomBytes(4).toString('hex')}`);
  const size = Math.max(0, freeBytes(mnt) - leave);
  const fd = fs.openSync(filler, 'w');
  const chunk = Buffer.alloc(1024 * 1024, 1);
  let written = 0;
  try {
    while (written < size) written += fs.writeSync(fd, chunk, 0, Math.min(chunk.length, size - written));
  } finally {
    fs.closeSync(fd);
  }
  return filler;
}

function listRecursive(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true }).map(String).sort();
}

describe.skipIf(!isRoot)('full disk: store and worktree on a small tmpfs', () => {
  let env: Record<string, string>;
  let repo: string;
  let small: string;
  let big: string;
  let bigCompressible: string;

  beforeAll(async () => {
    ensureBuilt();
    mountable = tryMount();
    if (!mountable) return;
    env = { SWAMP_STORE_DIR: path.join(mnt, 'store') };
    repo = makeRepo(path.join(mnt, 'repo'));
    const archives = path.join(base, 'archives');
    fs.mkdirSync(archives);
    small = await writeArchive(archives, 'small.tar.gz', buildExtensionArchive({ name: '@disk/small', version: '2026.01.01.1', files: { 'models/a.ts': 'export const a = 1;\n' } }));
    // Incompressible: the archive itself cannot be stored.
    big = await writeArchive(archives, 'big.tar.gz', buildExtensionArchive({ name: '@disk/big', version: '2026.01.01.1', files: { 'files/blob.bin': crypto.randomBytes(3 * 1024 * 1024), 'models/m.ts': 'x\n' } }));
    // Compressible: the archive fits, its unpacked tree does not.
    bigCompressible = await writeArchive(archives, 'zeros.tar.gz', buildExtensionArchive({ name: '@disk/zeros', version: '2026.01.01.1', files: { 'files/zeros.bin': Buffer.alloc(6 * 1024 * 1024), 'models/m.ts': 'y\n' } }));
    const first = await runCli(['extension', 'pull', small, '--json', '--repo-dir', repo], { env });
    expect(first.code, first.stderr).toBe(0);
  });

  afterAll(() => {
    if (mountable) execFileSync('umount', ['-l', mnt]);
    fs.rmSync(base, { recursive: true, force: true });
  });

  async function expectHealthy(): Promise<void> {
    const verify = await runCli(['extension', 'verify', '--json', '--repo-dir', repo], { env });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(listRecursive(path.join(mnt, 'store/v1/tmp'))).toEqual([]);
    expect(listRecursive(path.join(mnt, 'store/v1/cas/tmp'))).toEqual([]);
    expect(fs.existsSync(path.join(repo, '.swamp/swamp-store/journal.json'))).toBe(false);
  }

  /** Skips the running test, saying why, when the tmpfs could not be mounted (it does not pass with no assertion). */
  const needMount = (ctx: TestContext) => {
    if (!mountable) ctx.skip(`cannot mount a tmpfs: ${mountRefused}`);
  };

  it.for([
    ['the archive does not fit (ingest)', () => big, '@disk/big', 1024 * 1024],
    ['the unpacked tree does not fit (extraction)', () => bigCompressible, '@disk/zeros', 2 * 1024 * 1024],
  ] as const)('%s: E_NO_SPACE, nothing corrupt, and the pull succeeds once space is freed', async ([, archive, name, leave], ctx) => {
    needMount(ctx);
    const lockBefore = fs.readFileSync(path.join(repo, 'extensions/models/upstream_extensions.json'), 'utf8');
    const treesBefore = listRecursive(path.join(mnt, 'store/v1/trees')).filter((p) => !p.includes('/'));
    const filler = fillTo(leave);
    const res = await runCli(['extension', 'pull', archive(), '--json', '--repo-dir', repo], { env });
    expect(res.code, res.stderr).toBe(1);
    expect(res.errorJson?.code).toBe('E_NO_SPACE');
    expect(fs.readFileSync(path.join(repo, 'extensions/models/upstream_extensions.json'), 'utf8')).toBe(lockBefore);
    expect(listRecursive(path.join(mnt, 'store/v1/trees')).filter((p) => !p.includes('/'))).toEqual(treesBefore);
    await expectHealthy();

    fs.rmSync(filler);
    const again = await runCli(['extension', 'pull', archive(), '--json', '--repo-dir', repo], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.json.extensions[0].name).toBe(name);
    await expectHealthy();
    const rm = await runCli(['extension', 'rm', name, '-y', '--json', '--repo-dir', repo], { env });
    expect(rm.code, rm.stderr).toBe(0);
    await runCli(['cache', 'gc', '--max-age', '0', '-y', '--json'], { env });
  });

  it('copies into the worktree do not fit (--link-mode copy): rolled back, E_NO_SPACE, then succeeds', async (ctx) => {
    needMount(ctx);
    // Extract first with room to spare, so only the worktree copies run out of space.
    const warm = await runCli(['extension', 'pull', bigCompressible, '--json', '--repo-dir', repo], { env });
    expect(warm.code, warm.stderr).toBe(0);
    const rm = await runCli(['extension', 'rm', '@disk/zeros', '-y', '--json', '--repo-dir', repo], { env });
    expect(rm.code, rm.stderr).toBe(0);
    const lockBefore = fs.readFileSync(path.join(repo, 'extensions/models/upstream_extensions.json'), 'utf8');
    const filler = fillTo(2 * 1024 * 1024);
    const res = await runCli(['extension', 'pull', bigCompressible, '--link-mode', 'copy', '--json', '--repo-dir', repo], { env });
    expect(res.code, res.stderr).toBe(1);
    expect(res.errorJson?.code).toBe('E_NO_SPACE');
    expect(fs.readFileSync(path.join(repo, 'extensions/models/upstream_extensions.json'), 'utf8')).toBe(lockBefore);
    expect(fs.existsSync(path.join(repo, '.swamp/pulled-extensions/@disk/zeros/files/zeros.bin'))).toBe(false);
    expect(listRecursive(path.join(repo, '.swamp/swamp-store/staging'))).toEqual([]);
    await expectHealthy();
    fs.rmSync(filler);
    const again = await runCli(['extension', 'pull', bigCompressible, '--link-mode', 'copy', '--json', '--repo-dir', repo], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.json.extensions[0].linked.copy).toBeGreaterThan(0);
    await expectHealthy();
  });
});

if (!isRoot) {
  describe('full disk', () => {
    it.skip('needs root to mount a tmpfs (skipped: not running as root)', () => undefined);
  });
}
