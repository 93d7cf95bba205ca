import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareCalVer, isCalVer } from '../src/index.js';
import { readArchiveManifest } from '../src/server/index.js';
import { delayFor, parseRetryAfter } from '../src/retry.js';
import { parseLatest } from '../src/responses.js';

const builderUrl = new URL('../../../test/helpers/archive-builder.mjs', import.meta.url).href;
interface Entry {
  path: string;
  content?: string;
  type?: string;
  longName?: 'pax' | 'gnu';
}
interface Builder {
  gzipTar(entries: Entry[]): Buffer;
}

let tmp: string;
let builder: Builder;
const MANIFEST = 'manifestVersion: 1\nname: "@t/x"\nversion: "2026.01.01.1"\n';

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'registry-units-'));
  builder = (await import(builderUrl)) as Builder;
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function write(name: string, bytes: Buffer): Promise<string> {
  const file = path.join(tmp, name);
  await fs.writeFile(file, bytes);
  return file;
}

describe('readArchiveManifest', () => {
  it('finds the manifest after other entries, and through ./ prefixes, pax and GNU long names', async () => {
    const filler = { path: 'extension/models/a.ts', content: 'x'.repeat(1500) };
    expect(await readArchiveManifest(await write('plain.tar.gz', builder.gzipTar([filler, { path: 'extension/manifest.yaml', content: MANIFEST }])))).toBe(
      MANIFEST,
    );
    expect(await readArchiveManifest(await write('dot.tar.gz', builder.gzipTar([{ path: './extension/manifest.yaml', content: MANIFEST }])))).toBe(
      MANIFEST,
    );
    expect(
      await readArchiveManifest(await write('pax.tar.gz', builder.gzipTar([filler, { path: 'extension/manifest.yaml', content: MANIFEST, longName: 'pax' }]))),
    ).toBe(MANIFEST);
    expect(
      await readArchiveManifest(await write('gnu.tar.gz', builder.gzipTar([{ path: 'extension/manifest.yaml', content: MANIFEST, longName: 'gnu' }]))),
    ).toBe(MANIFEST);
  });

  it('reads archives made by node-tar', async () => {
    // node-tar is the store's dependency, not this package's: load it from there.
    const tar = createRequire(new URL('../../store/package.json', import.meta.url))('tar') as { c(opts: object, files: string[]): Promise<void> };
    const src = path.join(tmp, 'src');
    await fs.mkdir(path.join(src, 'extension', 'models'), { recursive: true });
    await fs.writeFile(path.join(src, 'extension', 'models', `${'long'.repeat(40)}.ts`), 'export {};\n');
    await fs.writeFile(path.join(src, 'extension', 'manifest.yaml'), MANIFEST);
    const file = path.join(tmp, 'node-tar.tar.gz');
    await tar.c({ gzip: true, cwd: src, file }, ['extension']);
    expect(await readArchiveManifest(file)).toBe(MANIFEST);
  });

  it('returns undefined without a manifest, and throws on corrupt or oversized input', async () => {
    expect(await readArchiveManifest(await write('none.tar.gz', builder.gzipTar([{ path: 'extension/models/a.ts', content: 'x' }])))).toBeUndefined();
    await expect(readArchiveManifest(await write('junk.tar.gz', Buffer.from('not gzip')))).rejects.toThrow();
    const junkTar = await write('junk-tar.tar.gz', zlib.gzipSync(Buffer.alloc(1024, 7)));
    await expect(readArchiveManifest(junkTar)).rejects.toThrow(/corrupt tar header/);
    const big = await write('big.tar.gz', builder.gzipTar([{ path: 'extension/manifest.yaml', content: 'x'.repeat(5000) }]));
    await expect(readArchiveManifest(big, { maxManifestBytes: 1000 })).rejects.toThrow(/larger than 1000 bytes/);
  });
});

describe('retry timing', () => {
  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-08-20T10:00:00Z');
    expect(parseRetryAfter('1', now)).toBe(1000);
    expect(parseRetryAfter(' 30 ', now)).toBe(30_000);
    expect(parseRetryAfter('Thu, 20 Aug 2026 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Thu, 20 Aug 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('caps Retry-After and keeps jittered backoff within its bounds', () => {
    const policy = { retries: 3, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 };
    expect(delayFor(policy, 0, 3_600_000)).toBe(5000);
    for (let n = 0; n < 6; n++) {
      const d = delayFor(policy, n, undefined);
      const ceiling = Math.min(1000, 100 * 2 ** n);
      expect(d).toBeGreaterThanOrEqual(ceiling / 2);
      expect(d).toBeLessThanOrEqual(ceiling);
    }
  });
});

describe('versions', () => {
  it('orders CalVer numerically and rejects non-CalVer from the server', () => {
    expect(compareCalVer('2026.02.01.10', '2026.02.01.9')).toBe(1);
    expect(compareCalVer('2025.12.31.99', '2026.01.01.1')).toBe(-1);
    expect(compareCalVer('2026.01.01.1', '2026.01.01.1')).toBe(0);
    expect(isCalVer('2026.01.01.1')).toBe(true);
    expect(isCalVer('1.2.3')).toBe(false);
    expect(() => parseLatest({ latestVersion: '1.0.0' })).toThrow(/not a version/);
    expect(parseLatest({ latestVersion: null })).toBeUndefined();
  });
});
