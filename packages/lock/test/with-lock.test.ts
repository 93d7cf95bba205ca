// withLock against lock states planted by hand: Swamp's plain lock file, dead, reused-pid,
// foreign-host and hostile holders, and a lock replaced under its holder.
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LockError, isLocked, readHolder, setDefaultLockTimeout, setLockWaitReporter, tryLock, withLock } from '../src/index.js';
import type { HolderInfo, LockWaitEvent } from '../src/index.js';
import { makeTempDir } from './support.js';

let dir: string;
let n = 0;
/** A fresh lock path in its own folder, so leftovers (tombstones) are visible. */
const freshLock = async (): Promise<string> => {
  const folder = path.join(dir, `case-${++n}`);
  await mkdir(folder, { recursive: true });
  return path.join(folder, 'x.lock');
};

beforeAll(async () => {
  dir = await makeTempDir();
});
afterEach(() => {
  setLockWaitReporter(undefined);
  setDefaultLockTimeout(undefined);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function caught(promise: Promise<unknown>): Promise<LockError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof LockError) return err;
    throw err;
  }
  throw new Error('expected a LockError');
}

async function plantLockDir(lockPath: string, holder: Partial<HolderInfo>, ageMs = 0): Promise<void> {
  await mkdir(lockPath);
  const full = { pid: 1, hostname: hostname(), command: 'planted', acquiredAt: new Date().toISOString(), token: 'planted-token', ...holder };
  await writeFile(path.join(lockPath, 'holder.json'), JSON.stringify(full));
  if (ageMs) await setAge(lockPath, ageMs);
}

async function setAge(p: string, ageMs: number): Promise<void> {
  const when = new Date(Date.now() - ageMs);
  await utimes(p, when, when);
}

function deadPid(): number {
  return Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).toString());
}

describe('Swamp-style plain lock file at the lock path', () => {
  it('takes over a file older than the stale threshold, and leaves nothing behind', async () => {
    const lockPath = await freshLock();
    await writeFile(lockPath, '');
    await setAge(lockPath, 60_000);
    expect(await isLocked(lockPath)).toBe(false);
    const started = Date.now();
    const inside = await withLock(lockPath, async () => ({ isDir: (await lstat(lockPath)).isDirectory(), holder: await readHolder(lockPath) }), { timeoutMs: 2_000 });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(inside.isDir).toBe(true);
    expect(inside.holder?.pid).toBe(process.pid);
    expect(await readdir(path.dirname(lockPath))).toEqual([]);
  });

  it('waits for a fresh file until Swamp removes it, naming it on timeout', async () => {
    const lockPath = await freshLock();
    await writeFile(lockPath, '');
    expect(await isLocked(lockPath)).toBe(true);
    expect(await readHolder(lockPath)).toBeUndefined();
    const timeout = await caught(withLock(lockPath, async () => 'ran', { timeoutMs: 200 }));
    expect(timeout.code).toBe('E_LOCK_TIMEOUT');
    expect(timeout.message).toContain("Swamp's own lock file");
    expect(timeout.remedy).toContain(`'rm ${lockPath}'`);
    expect((await stat(lockPath)).isFile()).toBe(true);

    const started = Date.now();
    setTimeout(() => void rm(lockPath), 600);
    await expect(withLock(lockPath, async () => 'ran', { timeoutMs: 5_000 })).resolves.toBe('ran');
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
  });
});

describe('holders that cannot release', () => {
  it('takes over at once from a holder whose pid is dead on this host', async () => {
    const lockPath = await freshLock();
    await plantLockDir(lockPath, { pid: deadPid() });
    expect(await isLocked(lockPath)).toBe(false);
    const started = Date.now();
    const token = await withLock(lockPath, async () => (await readHolder(lockPath))?.token, { timeoutMs: 3_000 });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(token).not.toBe('planted-token');
    expect(await readdir(path.dirname(lockPath))).toEqual([]);
  });

  it('tells a reused pid from the holder by its recorded process start', async () => {
    const own = await withLock(await freshLock(), async (ctx) => ctx.holder.processStart);
    expect(own).toMatch(/^\d+$/);
    const alive = await freshLock();
    await plantLockDir(alive, { pid: process.pid, processStart: own });
    expect(await tryLock(alive, async () => 'ran')).toMatchObject({ acquired: false, holder: { token: 'planted-token' } });
    const reused = await freshLock();
    await plantLockDir(reused, { pid: process.pid, processStart: `${own}0` });
    expect(await tryLock(reused, async () => 'ran')).toEqual({ acquired: true, value: 'ran' });
  });

  it("judges another host's holder only by staleness", async () => {
    const fresh = await freshLock();
    await plantLockDir(fresh, { pid: deadPid(), hostname: 'other-host', command: 'swamp-store pull\n\u001b[31mX' });
    expect(await isLocked(fresh)).toBe(true);
    const timeout = await caught(withLock(fresh, async () => 'ran', { timeoutMs: 300 }));
    expect(timeout.message).toContain('other-host');
    expect(timeout.message).not.toContain('\n');
    expect(timeout.message).not.toContain('\u001b');
    expect(timeout.holder?.hostname).toBe('other-host');

    const stale = await freshLock();
    await plantLockDir(stale, { hostname: 'other-host' }, 11_000);
    expect(await isLocked(stale)).toBe(false);
    await expect(withLock(stale, async () => 'ran', { timeoutMs: 1_000 })).resolves.toBe('ran');
  });

  it('ignores hostile holder files: garbage, a bad pid, a FIFO', async () => {
    const garbage = await freshLock();
    await mkdir(garbage);
    await writeFile(path.join(garbage, 'holder.json'), '{"pid":');
    expect(await readHolder(garbage)).toBeUndefined();
    const badPid = await freshLock();
    await plantLockDir(badPid, { pid: 0 });
    expect(await readHolder(badPid)).toBeUndefined();
    const fifo = await freshLock();
    await mkdir(fifo);
    execFileSync('mkfifo', [path.join(fifo, 'holder.json')]);
    expect(await readHolder(fifo)).toBeUndefined();
    // Unknown holders still lock until stale.
    expect(await tryLock(fifo, async () => 'ran')).toEqual({ acquired: false });
  });
});

describe('a lock lost while held', () => {
  it('rejects with E_LOCK_COMPROMISED and leaves the new owner alone when the lock was replaced', async () => {
    const lockPath = await freshLock();
    const err = await caught(
      withLock(lockPath, async (ctx) => {
        await rm(lockPath, { recursive: true });
        await plantLockDir(lockPath, { pid: process.pid, token: 'thief' });
        expect(ctx.signal.aborted).toBe(false); // not yet seen: the refresh timer has not run
        return 'done';
      }),
    );
    expect(err.code).toBe('E_LOCK_COMPROMISED');
    expect((await readHolder(lockPath))?.token).toBe('thief');
  });
});

describe('waiting', () => {
  it('stops waiting when options.signal aborts', async () => {
    const lockPath = await freshLock();
    let release!: () => void;
    const holding = withLock(lockPath, () => new Promise<void>((resolve) => (release = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user cancelled')), 150);
    const started = Date.now();
    await expect(withLock(lockPath, async () => 'ran', { signal: controller.signal, timeoutMs: 10_000 })).rejects.toThrow('user cancelled');
    expect(Date.now() - started).toBeLessThan(1_000);
    release();
    await holding;
    expect(await isLocked(lockPath)).toBe(false);
  });

  it('takes its default timeout from setDefaultLockTimeout (the CLI passes SWAMP_STORE_LOCK_TIMEOUT_MS) and reports through onWait instead of the global reporter', async () => {
    const lockPath = await freshLock();
    let release!: () => void;
    const holding = withLock(lockPath, () => new Promise<void>((resolve) => (release = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 50));

    setDefaultLockTimeout(200);
    let started = Date.now();
    expect((await caught(withLock(lockPath, async () => 'ran'))).code).toBe('E_LOCK_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(800);

    const global: LockWaitEvent[] = [];
    const local: LockWaitEvent[] = [];
    setLockWaitReporter((e) => global.push(e));
    started = Date.now();
    await caught(withLock(lockPath, async () => 'ran', { timeoutMs: 1_300, onWait: (e) => local.push(e) }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_290);
    expect(local.map((e) => e.holder?.pid)).toEqual([process.pid]);
    expect(global).toEqual([]);
    release();
    await holding;
  });

  it('releases the lock when fn throws, and rethrows its error', async () => {
    const lockPath = await freshLock();
    await expect(withLock(lockPath, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await isLocked(lockPath)).toBe(false);
    await expect(stat(lockPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
