// A process SIGKILLed while it unpacks (at random moments, and with a sealed
// staging tree just before the publish rename) must leave nothing that looks
// like a tree, and must not block the next process: the dead holder's digest
// lock is taken over at once and a correct tree is published.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkTreeFast, digestLockPath, ingest, openStore, readTreeManifest, treeDir, verifyTreeFull, type Store } from '../src/index.js';
import { readHolder } from '@swamp-store/lock';
import { buildExtensionArchive } from '../../../test/helpers/archive-builder.mjs';
import { generateHugeExtension, type GeneratedSpec } from '../../../test/helpers/sample-corpus.mjs';
import { expectedTreeFiles, expectedTreeMismatch, exists, hashDir, listDir } from './fixtures/expected-tree.js';
import { spawnWorker, type Worker } from './fixtures/workers.js';

// Large enough that a kill 5-200 ms into ensureTree lands mid-extraction (1,500
// files take about half a second on an idle disk, seconds on a busy one); small
// enough that the crash-and-recover rounds stay within the time budget on two cores.
const FILES = 1_500;
const RANDOM_KILLS = 10;
// A much faster machine may finish before the kill now and then; such a round proves
// nothing about crashes, so it is not counted, within this many attempts.
const MAX_ATTEMPTS = 15;
const TAKEOVER_LIMIT_MS = 10_000;

let work: string;
let spec: GeneratedSpec;
let archive: Buffer;
let rescuer: Worker;

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'ensure-tree-crash-'));
  spec = generateHugeExtension(FILES, { name: '@crash/big' });
  archive = buildExtensionArchive(spec);
  rescuer = spawnWorker();
  await rescuer.next('ready');
});

afterAll(async () => {
  await rescuer?.stop();
  if (work) await fs.rm(work, { recursive: true, force: true });
});

async function freshStore(label: string): Promise<{ store: Store; sha256: string }> {
  const store = openStore({ root: path.join(work, label) });
  const info = await ingest(store, archive, { sourceKey: `test:${label}` });
  return { store, sha256: info.sha256 };
}

interface Aftermath {
  lockLeftByDeadHolder: boolean;
  staging: string[];
}

/** What a crash must (not) leave: no tree, by either test a reader could apply. */
async function expectNoVisibleTree(store: Store, sha256: string, victimPid: number): Promise<Aftermath> {
  expect(await readTreeManifest(store.layout, sha256), 'no .tree.json after a crash').toBeUndefined();
  expect(await exists(treeDir(store.layout, sha256)), 'no trees/<sha> after a crash').toBe(false);
  expect(await listDir(store.layout.trees)).toEqual([]);
  const staging = await listDir(store.layout.tmp);
  for (const name of staging) {
    // A leftover, even one holding a complete .tree.json, lives only in tmp/ where no reader looks;
    // gc sweeps tmp/ entries whose owner (pid in the name) is dead.
    expect(name).toMatch(new RegExp(`^tree-.+-${victimPid}-\\d+-[a-z0-9]+$`));
  }
  const holder = await readHolder(digestLockPath(store.layout, sha256));
  if (holder) expect(holder.pid).toBe(victimPid);
  return { lockLeftByDeadHolder: holder !== undefined, staging };
}

interface Recovery {
  /** From the call to holding the lock (the moment its staging folder is made). */
  takeoverMs: number;
  totalMs: number;
}

/** Another process publishes a correct tree, taking over the dead holder's lock in time. */
async function expectRecovery(store: Store, sha256: string): Promise<Recovery> {
  const reply = await rescuer.request({ op: 'ensure', root: store.layout.root, sha256 }, 60_000);
  expect(reply, reply.message).toMatchObject({ ok: true, status: 'extracted' });
  const takeoverMs = Number(reply.stagingAfterMs);
  expect(takeoverMs, 'dead holder lock taken over').toBeLessThan(TAKEOVER_LIMIT_MS);
  const tree = await readTreeManifest(store.layout, sha256);
  expect(tree).toBeDefined();
  if (tree) {
    expect(await verifyTreeFull(store.layout, tree)).toEqual([]);
    expect(await checkTreeFast(store.layout, tree)).toEqual([]);
    expect(await expectedTreeMismatch(tree, treeDir(store.layout, sha256), spec)).toBeUndefined();
  }
  expect(await exists(digestLockPath(store.layout, sha256)), 'lock released after recovery').toBe(false);
  return { takeoverMs, totalMs: Number(reply.ms) };
}

describe('ensureTree: SIGKILL while extracting', () => {
  it(`leaves no visible tree and never blocks the next process (${RANDOM_KILLS} kills at random moments)`, async () => {
    const log: string[] = [];
    let locksTakenOver = 0;
    let leftovers = 0;
    let kills = 0;
    for (let round = 0; kills < RANDOM_KILLS; round++) {
      expect(round, `only ${kills} of ${round} kills landed before publication`).toBeLessThan(MAX_ATTEMPTS);
      const { store, sha256 } = await freshStore(`random-${round}`);
      const victim = spawnWorker();
      await victim.next('ready');
      let finished = false;
      void victim.request({ op: 'ensure', root: store.layout.root, sha256 }, 60_000).then(
        () => (finished = true),
        () => undefined,
      );
      await victim.next('started');
      const delay = 5 + Math.floor(Math.random() * 196);
      await sleep(delay);
      victim.proc.kill('SIGKILL');
      expect((await victim.exited).signal).toBe('SIGKILL');
      if (finished || (await readTreeManifest(store.layout, sha256))) {
        log.push(`kill@${delay}ms came after publication: not counted`);
        continue;
      }
      kills++;

      const after = await expectNoVisibleTree(store, sha256, victim.pid);
      const recovery = await expectRecovery(store, sha256);
      if (after.lockLeftByDeadHolder) locksTakenOver++;
      leftovers += after.staging.length;
      // The rescuer neither reuses nor removes the dead staging folder: that is gc's job.
      for (const name of after.staging) expect(await exists(path.join(store.layout.tmp, name))).toBe(true);
      log.push(`kill@${delay}ms lock=${after.lockLeftByDeadHolder ? 'dead-holder' : 'none'} staging=${after.staging.length} ` +
          `takeover=${recovery.takeoverMs.toFixed(0)}ms recover=${recovery.totalMs.toFixed(0)}ms`,
      );
    }
    console.log(`ensure-tree crash (random):\n  ${log.join('\n  ')}`);
    // The kills must have hit a holder for the takeover claim to mean anything.
    expect(locksTakenOver).toBeGreaterThanOrEqual(RANDOM_KILLS / 2);
    expect(leftovers).toBeGreaterThan(0);
  });

  it('leaves no visible tree when killed with a sealed staging tree just before the publish rename', async () => {
    const { store, sha256 } = await freshStore('before-rename');
    const victim = spawnWorker({ SWAMP_TEST_BEFORE_RENAME: 'hang' });
    await victim.next('ready');
    void victim.request({ op: 'ensure', root: store.layout.root, sha256 }, 60_000).catch(() => undefined);
    const at = await victim.next('before-rename', undefined, 60_000);
    const staging = String(at.staging);
    expect(path.dirname(staging)).toBe(store.layout.tmp);
    expect(String(at.target)).toBe(treeDir(store.layout, sha256));

    // Everything is ready to publish: files written, sealed read-only, .tree.json written.
    const sealed = JSON.parse(await fs.readFile(path.join(staging, '.tree.json'), 'utf8')) as { sha256: string; files: unknown[] };
    expect(sealed.sha256).toBe(sha256);
    expect(sealed.files).toHaveLength(expectedTreeFiles(spec).size);
    expect(await hashDir(staging)).toEqual(expectedTreeFiles(spec));

    victim.proc.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');

    const after = await expectNoVisibleTree(store, sha256, victim.pid);
    expect(after.lockLeftByDeadHolder, 'the victim died holding the digest lock').toBe(true);
    expect(after.staging).toEqual([path.basename(staging)]);
    const recovery = await expectRecovery(store, sha256);
    console.log(`ensure-tree crash (before rename): lock taken over after ${recovery.takeoverMs.toFixed(0)} ms, tree published after ${recovery.totalMs.toFixed(0)} ms`);
  });
});
