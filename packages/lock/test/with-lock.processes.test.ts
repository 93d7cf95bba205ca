// Cross-process behaviour of withLock, proven with real node children (test/fixtures/*.mjs,
// which import the built package) and real signals.
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LockError, isLocked, readHolder, setLockWaitReporter, tryLock, withLock } from '../src/index.js';
import type { LockWaitEvent } from '../src/index.js';
import { ensureBuilt, makeTempDir, spawnFixture } from './support.js';
import type { Child } from './support.js';

let dir: string;
const children: Child[] = [];
const spawnChild = (name: string, args: string[]): Child => {
  const child = spawnFixture(name, args);
  children.push(child);
  return child;
};

beforeAll(async () => {
  ensureBuilt();
  dir = await makeTempDir();
});
afterEach(() => {
  setLockWaitReporter(undefined);
  for (const child of children.splice(0)) if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
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

describe('withLock across processes', () => {
  it('lets exactly one of 8 processes in at a time (no lost increment)', async () => {
    const lockPath = path.join(dir, 'mutex', 'counter.lock');
    const counter = path.join(dir, 'counter-8x20');
    await writeFile(counter, '0');
    const workers = Array.from({ length: 8 }, () => spawnChild('counter.mjs', [lockPath, counter, '20', '2']));
    const exits = await Promise.all(workers.map((w) => w.exited));
    expect(exits.every((e) => e.code === 0), workers.map((w) => w.stderr()).join('\n')).toBe(true);
    expect(Number(await readFile(counter, 'utf8'))).toBe(160);
    await expect(stat(lockPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('excludes, and is excluded by, a Swamp-style writer that creates the lock path as a plain file', async () => {
    const lockPath = path.join(dir, 'swamp', 'upstream_extensions.json.lock');
    const counter = path.join(dir, 'counter-swamp');
    await writeFile(counter, '0');
    await mkdir(path.dirname(lockPath), { recursive: true }); // Swamp expects its folder to exist
    const ours = Array.from({ length: 3 }, () => spawnChild('counter.mjs', [lockPath, counter, '15', '2']));
    const swamps = Array.from({ length: 2 }, () => spawnChild('swamp-writer.mjs', [lockPath, counter, '15']));
    await Promise.all([...ours, ...swamps].map((c) => c.exited));
    expect(ours.map((c) => c.proc.exitCode)).toEqual([0, 0, 0]);
    const swampDone = await Promise.all(swamps.map((c) => c.next('done')));
    const swampSucceeded = swampDone.reduce((sum, e) => sum + Number(e.succeeded), 0);
    expect(swampSucceeded).toBeGreaterThan(0);
    expect(Number(await readFile(counter, 'utf8'))).toBe(45 + swampSucceeded);
  });

  it('names the holder: readHolder, tryLock, the timeout error and the wait reporter', async () => {
    const lockPath = path.join(dir, 'holder', 'x.lock');
    const holder = spawnChild('hold.mjs', [lockPath]);
    await holder.next('held');

    const info = await readHolder(lockPath);
    expect(info?.pid).toBe(holder.pid);
    expect(info?.command).toContain('hold.mjs');
    expect(Number.isNaN(Date.parse(info?.acquiredAt ?? ''))).toBe(false);
    expect(await isLocked(lockPath)).toBe(true);
    expect(await tryLock(lockPath, async () => 'ran')).toMatchObject({ acquired: false, holder: { pid: holder.pid } });

    let started = Date.now();
    const timeout = await caught(withLock(lockPath, async () => 'ran', { timeoutMs: 300 }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(timeout.code).toBe('E_LOCK_TIMEOUT');
    expect(timeout.message).toContain(`pid ${holder.pid}`);
    expect(timeout.message).toContain('hold.mjs');
    expect(timeout.message).toContain(info?.acquiredAt);
    expect(timeout.remedy).toContain(`'kill ${holder.pid}'`);

    const events: LockWaitEvent[] = [];
    setLockWaitReporter((e) => events.push(e));
    started = Date.now();
    await caught(withLock(lockPath, async () => 'ran', { timeoutMs: 1_700 }));
    expect(events).toHaveLength(1);
    expect(events[0]?.lockPath).toBe(lockPath);
    expect(events[0]?.holder?.pid).toBe(holder.pid);
    expect(events[0]?.waitedMs).toBeGreaterThanOrEqual(1_000);
    expect(events[0]?.waitedMs).toBeLessThan(1_500);
    expect(events[0]?.description).toContain(`pid ${holder.pid}`);

    // Released while we wait: we get in, and the exit left no lock behind.
    const waiting = withLock(lockPath, async (ctx) => (await readHolder(lockPath))?.token === ctx.holder.token, { timeoutMs: 10_000 });
    holder.proc.stdin.write('release\n');
    await expect(waiting).resolves.toBe(true);
    expect(await holder.next('result')).toMatchObject({ ok: true, value: 'finished' });
    expect((await holder.exited).code).toBe(0);
  });

  it('takes over from a SIGKILLed holder well within 10 s, even with several waiters racing for it', async () => {
    const lockPath = path.join(dir, 'killed', 'x.lock');
    const counter = path.join(dir, 'counter-killed');
    await writeFile(counter, '0');
    const holder = spawnChild('hold.mjs', [lockPath]);
    const deadToken = ((await holder.next('held')).holder as { token: string }).token;
    // Waiters in other processes all see the dead holder at about the same moment.
    const waiters = Array.from({ length: 4 }, () => spawnChild('counter.mjs', [lockPath, counter, '5', '5']));
    const ownWait = withLock(lockPath, async (ctx) => {
      const inside = await readHolder(lockPath);
      return { token: inside?.token, ours: ctx.holder.token, pid: inside?.pid };
    }, { timeoutMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));

    const killedAt = Date.now();
    holder.proc.kill('SIGKILL');
    const got = await ownWait;
    expect(Date.now() - killedAt).toBeLessThan(10_000);
    expect(got.pid).toBe(process.pid);
    expect(got.token).toBe(got.ours);
    expect(got.token).not.toBe(deadToken);

    const exits = await Promise.all(waiters.map((w) => w.exited));
    expect(exits.map((e) => e.code), waiters.map((w) => w.stderr()).join('\n')).toEqual([0, 0, 0, 0]);
    expect(Number(await readFile(counter, 'utf8'))).toBe(20);
    expect(Date.now() - killedAt).toBeLessThan(10_000);
  });

  it('removes its lock when the holder is ended by SIGTERM', async () => {
    const lockPath = path.join(dir, 'sigterm', 'x.lock');
    const holder = spawnChild('hold.mjs', [lockPath]);
    await holder.next('held');
    expect((await stat(lockPath)).isDirectory()).toBe(true);
    holder.proc.kill('SIGTERM');
    expect((await holder.exited).signal).toBe('SIGTERM');
    await expect(stat(lockPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('aborts a holder whose lock directory is removed under it, without crashing it', async () => {
    const lockPath = path.join(dir, 'removed', 'x.lock');
    const holder = spawnChild('hold.mjs', [lockPath, JSON.stringify({ staleMs: 2_000, updateMs: 1_000 })]);
    await holder.next('held');
    await rm(lockPath, { recursive: true });
    expect(await holder.next('aborted', 5_000)).toMatchObject({ reasonCode: 'E_LOCK_COMPROMISED', assertHeldCode: 'E_LOCK_COMPROMISED' });
    // fn resolved normally after the loss, yet withLock rejected.
    expect(await holder.next('result')).toMatchObject({ ok: false, code: 'E_LOCK_COMPROMISED' });
    expect(await holder.exited).toEqual({ code: 0, signal: null });
  });

  it('takes over from a stalled holder after the stale threshold; the holder aborts and leaves the new lock alone', async () => {
    const lockPath = path.join(dir, 'stalled', 'x.lock');
    const options = { staleMs: 2_000, updateMs: 1_000 };
    const holder = spawnChild('hold.mjs', [lockPath, JSON.stringify(options)]);
    await holder.next('held');
    holder.proc.kill('SIGSTOP'); // alive, so no dead-pid shortcut: only staleness applies

    const started = Date.now();
    const outcome = await withLock(lockPath, async (ctx) => {
      const waited = Date.now() - started;
      holder.proc.kill('SIGCONT');
      const aborted = await holder.next('aborted', 5_000);
      const result = await holder.next('result', 5_000);
      return { waited, aborted, result, stillOurs: (await readHolder(lockPath))?.token === ctx.holder.token, signal: ctx.signal.aborted };
    }, { ...options, timeoutMs: 10_000 });

    expect(outcome.waited).toBeGreaterThanOrEqual(1_000);
    expect(outcome.waited).toBeLessThan(5_000);
    expect(outcome.aborted).toMatchObject({ reasonCode: 'E_LOCK_COMPROMISED' });
    expect(outcome.result).toMatchObject({ ok: false, code: 'E_LOCK_COMPROMISED' });
    expect(outcome.stillOurs).toBe(true);
    expect(outcome.signal).toBe(false);
    expect(await holder.exited).toEqual({ code: 0, signal: null });
    await expect(stat(lockPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
