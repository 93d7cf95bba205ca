// ingest: one sha256 whatever the source, both hashes in the integrity, nothing
// stored when the checksum is wrong, and no failure when 16 processes write the
// cache at once (cacache's 32-bit temp names collide across processes, npm/cli#7308).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import cacache from 'cacache';
import ssri from 'ssri';
import { findArchive, ingest, lookupVersion, openArchiveStream, openStore, StoreError, type Store } from '../src/index.js';
import { buildExtensionArchive, writeArchive } from '../../../test/helpers/archive-builder.mjs';
import { generateExtension } from '../../../test/helpers/sample-corpus.mjs';
import { fanOut, spawnWorker, type Worker } from './fixtures/workers.js';

let work: string;
let store: Store;
let archive: Buffer;
let archivePath: string;

const hex = (algo: string, b: Buffer): string => createHash(algo).update(b).digest('hex');

/** Every file below `dir` (none when it does not exist). */
async function filesUnder(dir: string): Promise<string[]> {
  try {
    const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((e) => !e.isDirectory()).map((e) => path.join(e.parentPath, e.name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A stream that hands the bytes over in uneven chunks, like a network response. */
function chunked(bytes: Buffer): Readable {
  const parts: Buffer[] = [];
  for (let off = 0, n = 1; off < bytes.length; off += n, n = (n * 7 + 4093) % 65_521) parts.push(bytes.subarray(off, off + n));
  return Readable.from(parts);
}

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${code}`).toBeInstanceOf(StoreError);
  expect((err as StoreError).code).toBe(code);
}

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'ingest-'));
  archive = buildExtensionArchive(generateExtension({ name: '@ingest/one', version: '2026.08.01.1', files: 20, bytes: 440_000 }));
  archivePath = await writeArchive(work, 'one.tar.gz', archive);
});

afterAll(async () => {
  if (work) await fs.rm(work, { recursive: true, force: true });
});

let storeCount = 0;
beforeEach(() => {
  store = openStore({ root: path.join(work, `store-${storeCount++}`) });
});

describe('ingest', () => {
  it('gives the same sha256 from a path, a Buffer and a stream, with sha512 and sha256 in the integrity', async () => {
    const fromPath = await ingest(store, archivePath, { sourceKey: `file:${archivePath}` });
    const fromBuffer = await ingest(store, archive, { sourceKey: 'test:buffer' });
    const fromStream = await ingest(store, chunked(archive), { sourceKey: 'test:stream', name: '@ingest/one', version: '2026.08.01.1' });

    for (const info of [fromPath, fromBuffer, fromStream]) {
      expect(info.sha256).toBe(hex('sha256', archive));
      expect(info.size).toBe(archive.length);
      const sri = ssri.parse(info.integrity);
      expect(Object.keys(sri).sort()).toEqual(['sha256', 'sha512']);
      expect(Buffer.from(sri.sha512?.[0]?.digest ?? '', 'base64').toString('hex')).toBe(hex('sha512', archive));
      expect(Buffer.from(sri.sha256?.[0]?.digest ?? '', 'base64').toString('hex')).toBe(hex('sha256', archive));
    }
    expect(fromBuffer.integrity).toBe(fromPath.integrity);
    expect(fromStream.integrity).toBe(fromPath.integrity);

    // One content entry for the three ingests, found by sha256 and by name@version, and it reads back intact.
    expect(await filesUnder(path.join(store.layout.cas, 'content-v2'))).toHaveLength(1);
    const found = await findArchive(store, fromPath.sha256);
    expect(found?.integrity).toBe(fromPath.integrity);
    expect((await lookupVersion(store, '@ingest/one', '2026.08.01.1'))?.sha256).toBe(fromPath.sha256);
    expect(hex('sha256', await readAll(await openArchiveStream(store, fromPath)))).toBe(fromPath.sha256);
  });

  it('accepts the right expected checksum, as hex sha256 and as SRI', async () => {
    const bySha = await ingest(store, archivePath, { sourceKey: 'test:a', expectedSha256: hex('sha256', archive) });
    expect(bySha.sha256).toBe(hex('sha256', archive));
    const sri = `sha512-${createHash('sha512').update(archive).digest('base64')}`;
    const bySri = await ingest(store, archive, { sourceKey: 'test:b', expectedIntegrity: sri });
    expect(bySri.sha256).toBe(bySha.sha256);
  });

  const wrongSha = hex('sha256', Buffer.from('not the archive'));
  const sources: Array<[string, () => string | Buffer | Readable]> = [
    ['path', () => archivePath],
    ['Buffer', () => archive],
    ['stream', () => chunked(archive)],
  ];
  for (const [kind, source] of sources) {
    it(`refuses a wrong expected checksum from a ${kind} with E_INTEGRITY and keeps nothing`, async () => {
      await expectCode(ingest(store, source(), { sourceKey: `test:${kind}`, expectedSha256: wrongSha, name: '@ingest/one', version: '2026.08.01.1' }), 'E_INTEGRITY');
      const { cas } = store.layout;
      expect(await filesUnder(path.join(cas, 'content-v2')), 'content left behind').toEqual([]);
      expect(await filesUnder(path.join(cas, 'tmp')), 'temp file left behind').toEqual([]);
      expect(await cacache.ls(cas), 'index entries left behind').toEqual({});
      expect(await findArchive(store, hex('sha256', archive))).toBeUndefined();
      expect(await findArchive(store, wrongSha)).toBeUndefined();
      expect(await lookupVersion(store, '@ingest/one', '2026.08.01.1')).toBeUndefined();
    });
  }

  it('refuses a wrong SRI and a checksum that is not hex sha256, keeping nothing', async () => {
    const otherSri = `sha512-${createHash('sha512').update('other').digest('base64')}`;
    await expectCode(ingest(store, archive, { sourceKey: 'test:sri', expectedIntegrity: otherSri }), 'E_INTEGRITY');
    await expectCode(ingest(store, archive, { sourceKey: 'test:bad', expectedSha256: 'abc123' }), 'E_INTEGRITY');
    expect(await filesUnder(path.join(store.layout.cas, 'content-v2'))).toEqual([]);
    expect(await filesUnder(path.join(store.layout.cas, 'tmp'))).toEqual([]);
  });

  it('reports a missing path as E_NOT_FOUND', async () => {
    await expectCode(ingest(store, path.join(work, 'no-such.tar.gz'), { sourceKey: 'test:missing' }), 'E_NOT_FOUND');
    expect(await filesUnder(path.join(store.layout.cas, 'content-v2'))).toEqual([]);
  });
});

describe('ingest from 16 processes at once', () => {
  const PROCESSES = 16;
  const ROUNDS = 4;
  let workers: Worker[] = [];
  let own: Array<{ file: string; sha256: string }> = [];
  let shared: { file: string; sha256: string };

  beforeAll(async () => {
    workers = Array.from({ length: PROCESSES }, () => spawnWorker());
    const dir = path.join(work, 'parallel');
    own = await Promise.all(
      Array.from({ length: PROCESSES }, async (_, i) => {
        const bytes = buildExtensionArchive(generateExtension({ name: `@ingest/p-${i}`, version: '2026.08.01.1', files: 9 + i, bytes: 98_000 + i * 20_000 }));
        return { file: await writeArchive(dir, `p-${i}.tar.gz`, bytes), sha256: hex('sha256', bytes) };
      }),
    );
    const big = buildExtensionArchive(generateExtension({ name: '@ingest/shared', version: '2026.08.01.1', files: 127, bytes: 6_700_000 }));
    shared = { file: await writeArchive(dir, 'shared.tar.gz', big), sha256: hex('sha256', big) };
    await Promise.all(workers.map((w) => w.next('ready')));
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
  });

  it(`never fail: each ingests its own archive and the same shared one (${ROUNDS} rounds, fresh store each)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const s = openStore({ root: path.join(work, `parallel-store-${round}`) });
      const root = s.layout.root;
      const [mine, same] = await Promise.all([
        fanOut(workers, (i) => ({ op: 'ingest', root, path: own[i]?.file, sourceKey: `file:${own[i]?.file}`, expectedSha256: own[i]?.sha256 })),
        fanOut(workers, { op: 'ingest', root, path: shared.file, sourceKey: `file:${shared.file}`, expectedSha256: shared.sha256 }),
      ]);
      const failures = [...mine, ...same].filter((r) => !r.ok);
      expect(failures, JSON.stringify(failures)).toEqual([]);
      mine.forEach((r, i) => expect(r.sha256).toBe(own[i]?.sha256));
      for (const r of same) expect(r.sha256).toBe(shared.sha256);

      // Exactly one content file per distinct archive, nothing half-written, all readable intact.
      expect(await filesUnder(path.join(s.layout.cas, 'content-v2'))).toHaveLength(PROCESSES + 1);
      expect(await filesUnder(path.join(s.layout.cas, 'tmp'))).toEqual([]);
      for (const { sha256 } of [...own, shared]) {
        const info = await findArchive(s, sha256);
        expect(info, `archive ${sha256} indexed`).toBeDefined();
        if (info) expect(hex('sha256', await readAll(await openArchiveStream(s, info)))).toBe(sha256);
      }
    }
  });
});
