// Publish-once under real contention: 16 OS processes ask for one new digest at
// the same moment. The digest lock must make extraction exactly-once, and the
// statuses must say truthfully who unpacked, who waited and who found it done.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkTreeFast, digestLockPath, ingest, openStore, readTreeManifest, treeDir, verifyTreeFull, type Store } from '../src/index.js';
import { buildExtensionArchive, writeArchive } from '../../../test/helpers/archive-builder.mjs';
import { generateExtension, type GeneratedSpec } from '../../../test/helpers/sample-corpus.mjs';
import { expectedTreeFiles, expectedTreeMismatch, exists, listDir } from './fixtures/expected-tree.js';
import { fanOut, spawnWorker, type Worker } from './fixtures/workers.js';

const PROCESSES = 16;
const ROUNDS = 20;

let work: string;
let workers: Worker[] = [];
const extra: Worker[] = [];

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'ensure-tree-race-'));
  workers = Array.from({ length: PROCESSES }, () => spawnWorker());
  await Promise.all(workers.map((w) => w.next('ready')));
});

afterAll(async () => {
  await Promise.all([...workers, ...extra].map((w) => w.stop()));
  if (work) await fs.rm(work, { recursive: true, force: true });
});

/** A fresh store holding one freshly ingested archive, not yet unpacked. */
async function freshStoreWith(label: string, spec: GeneratedSpec): Promise<{ store: Store; root: string; sha256: string }> {
  const root = path.join(work, label);
  const store = openStore({ root });
  const bytes = buildExtensionArchive(spec);
  const file = await writeArchive(path.join(work, 'archives'), `${label}.tar.gz`, bytes);
  const info = await ingest(store, file, { sourceKey: `file:${file}` });
  expect(info.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  return { store, root, sha256: info.sha256 };
}

/** The tree is published, complete, correct, and nothing of the race is left behind. */
async function expectCleanTree(store: Store, sha256: string, spec: GeneratedSpec): Promise<void> {
  const tree = await readTreeManifest(store.layout, sha256);
  expect(tree, 'published tree').toBeDefined();
  if (!tree) return;
  expect(await verifyTreeFull(store.layout, tree)).toEqual([]);
  expect(await checkTreeFast(store.layout, tree)).toEqual([]);
  // Not just self-consistent: the bytes on disk are the installed form of the spec.
  expect(await expectedTreeMismatch(tree, treeDir(store.layout, sha256), spec)).toBeUndefined();
  expect(await listDir(store.layout.tmp), 'tmp/ after the race').toEqual([]);
  expect(await exists(digestLockPath(store.layout, sha256)), 'digest lock released').toBe(false);
}

describe('ensureTree: 16 processes, one new digest', () => {
  it(`exactly one process extracts, the others wait or hit (${ROUNDS} rounds, fresh digest each)`, async () => {
    const tally = { extracted: 0, waited: 0, hit: 0 };
    const roundTimes: number[] = [];
    const extractMs: number[] = [];
    const lastWaiterMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Sizes from a median extension up to a few hundred files, so extraction
      // lasts long enough for the others to pile up on the lock in some rounds
      // and short enough for late arrivals to find the tree already published in others.
      const spec = generateExtension({
        name: `@race/ext-${round}`,
        version: `2026.08.${String(1 + (round % 28)).padStart(2, '0')}.1`,
        files: 9 + round * 10,
        bytes: 98_000 + round * 25_000,
        withBundles: round % 3 === 0,
        withSkills: round % 4 === 0,
      });
      const { store, sha256 } = await freshStoreWith(`round-${round}`, spec);
      expect(await readTreeManifest(store.layout, sha256)).toBeUndefined();

      const t0 = performance.now();
      const replies = await fanOut(workers, { op: 'ensure', root: store.layout.root, sha256 });
      roundTimes.push(performance.now() - t0);

      const failures = replies.filter((r) => !r.ok);
      expect(failures, JSON.stringify(failures)).toEqual([]);
      const statuses = replies.map((r) => r.status);
      expect(statuses.filter((s) => s === 'extracted'), `round ${round}: ${statuses.join(',')}`).toHaveLength(1);
      for (const s of statuses) expect(['extracted', 'waited', 'hit']).toContain(s);
      expect(new Set(replies.map((r) => r.files))).toEqual(new Set([expectedTreeFiles(spec).size]));
      for (const s of statuses) tally[s as keyof typeof tally]++;
      extractMs.push(replies.find((r) => r.status === 'extracted')?.ms ?? 0);
      lastWaiterMs.push(Math.max(...replies.filter((r) => r.status !== 'extracted').map((r) => r.ms ?? 0)));

      await expectCleanTree(store, sha256, spec);
      await fs.rm(store.layout.root, { recursive: true, force: true });
    }
    // The rounds only prove exactly-once if the processes really overlapped.
    expect(tally.extracted).toBe(ROUNDS);
    expect(tally.waited, JSON.stringify(tally)).toBeGreaterThan(0);
    console.log(
      `ensure-tree race: ${JSON.stringify(tally)}; round ms (all 16 replied): median ${median(roundTimes).toFixed(0)}, ` +
        `max ${Math.max(...roundTimes).toFixed(0)}; extractor ms: median ${median(extractMs).toFixed(0)}; ` +
        `last waiter ms: median ${median(lastWaiterMs).toFixed(0)}`,
    );
  });

  it('says waited only when it found the lock busy, and hit when the lock was free after publication', async () => {
    const spec = generateExtension({ name: '@race/status', version: '2026.08.01.1', files: 40, bytes: 300_000 });
    const { store, sha256 } = await freshStoreWith('status', spec);
    const holder = spawnWorker({ SWAMP_TEST_BEFORE_RENAME: 'hang' });
    const missesFirstRead = spawnWorker({ SWAMP_TEST_MISS_FIRST_TREE_READ: '1' });
    extra.push(holder, missesFirstRead);
    await Promise.all([holder.next('ready'), missesFirstRead.next('ready')]);
    const ensure = { op: 'ensure', root: store.layout.root, sha256 };

    // The holder has sealed its staging tree and stops right before the publish rename, lock held.
    const holderReply = holder.request(ensure);
    await holder.next('before-rename');
    expect(await readTreeManifest(store.layout, sha256), 'a sealed staging tree is not a tree').toBeUndefined();

    // A second process misses the tree and blocks on the lock.
    const waiter = workers[0] as Worker;
    const waiterReply = waiter.request(ensure);
    await sleep(400);
    expect(await Promise.race([waiterReply.then(() => 'replied'), sleep(10, 'blocked')])).toBe('blocked');

    holder.send({ op: 'release' });
    expect(await holderReply).toMatchObject({ ok: true, status: 'extracted' });
    expect(await waiterReply).toMatchObject({ ok: true, status: 'waited' });

    // Its unlocked check misses (as if the rename landed just after it), the lock is free: nobody made it wait.
    const late = await missesFirstRead.request(ensure);
    await missesFirstRead.next('missed-tree-read');
    expect(late).toMatchObject({ ok: true, status: 'hit' });

    // Plain hit: the unlocked check finds the tree.
    expect(await (workers[1] as Worker).request(ensure)).toMatchObject({ ok: true, status: 'hit' });
    await expectCleanTree(store, sha256, spec);
  });
});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}
