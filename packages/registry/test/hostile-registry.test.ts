import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findArchive, ingest, lookupVersion, openStore, type Store } from '@swamp-store/store';
import { RegistryClient, RegistryError, fetchFromRegistry, type RegistryClientOptions } from '../src/index.js';
import { buildArchive, contentFiles, sha256 } from './helpers/archives.js';
import { json, startServer, type TestServer } from './helpers/http-server.js';

const NAME = '@t/hostile';
const VERSION = '2026.08.20.1';
const KEY = 'secret-key';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void;
type Route = 'info' | 'latest' | 'checksum' | 'download' | 'file';

let tmp: string;
let archive: Buffer;
let servers: TestServer[] = [];
let storeCount = 0;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'registry-hostile-'));
  archive = await buildArchive({ name: NAME, version: VERSION, files: { 'models/a.ts': randomBytes(15_000).toString('base64') } });
  expect(archive.length).toBeGreaterThan(10_000);
});

afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

function routeOf(url: string): Route | undefined {
  const p = url.split('?')[0] ?? '';
  if (p === '/file') return 'file';
  const m = /^\/api\/v1\/extensions\/([^/]+)(?:\/(latest|checksum|download))?$/.exec(p);
  if (!m) return undefined;
  return (m[2] as Route | undefined) ?? 'info';
}

/** A registry that behaves, except for the routes a test overrides; counts requests per route. */
async function fakeRegistry(overrides: Partial<Record<Route, Handler>> = {}): Promise<TestServer & { hits: Record<Route, number> }> {
  const hits: Record<Route, number> = { info: 0, latest: 0, checksum: 0, download: 0, file: 0 };
  const defaults: Record<Route, Handler> = {
    info: (_q, res) => json(res, 200, { name: NAME, latestVersion: VERSION, latestRc: null, latestBeta: null, deprecatedAt: null, yankedAt: null }),
    latest: (_q, res) => json(res, 200, { latestVersion: VERSION }),
    checksum: (_q, res) => json(res, 200, { checksum: sha256(archive) }),
    download: (_q, res) => {
      res.writeHead(302, { location: '/file' });
      res.end();
    },
    file: (_q, res) => {
      res.writeHead(200, { 'content-length': String(archive.length) });
      res.end(archive);
    },
  };
  const server = await startServer((req, res) => {
    const route = routeOf(req.url ?? '');
    if (!route) return json(res, 404, {});
    hits[route]++;
    (overrides[route] ?? defaults[route])(req, res, hits[route]);
  });
  servers.push(server);
  return Object.assign(server, { hits });
}

function freshStore(): Store {
  return openStore({ root: path.join(tmp, `store-${++storeCount}`) });
}

function clientFor(url: string, options: RegistryClientOptions = {}): RegistryClient {
  return new RegistryClient({ baseUrl: url, apiKey: KEY, retries: 0, retryBaseDelayMs: 10, ...options });
}

async function failure(p: Promise<unknown>): Promise<RegistryError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RegistryError);
  return err as RegistryError;
}

async function expectNothingIngested(store: Store): Promise<void> {
  expect(await contentFiles(store.layout.root)).toEqual([]);
  expect(await findArchive(store, sha256(archive))).toBeUndefined();
  expect(await lookupVersion(store, NAME, VERSION)).toBeUndefined();
}

describe('fetch against misbehaving registries', () => {
  it('rejects bytes that do not match the checksum (E_INTEGRITY) and keeps nothing', async () => {
    const reg = await fakeRegistry({ checksum: (_q, res) => json(res, 200, { checksum: 'ab'.repeat(32) }) });
    const store = freshStore();
    const err = await failure(fetchFromRegistry({ store, client: clientFor(reg.url, { retries: 2 }), name: NAME, version: VERSION }));
    expect(err.code).toBe('E_INTEGRITY');
    expect(err.message).toContain(`${reg.url}/file`);
    // A mismatch is not a network blip: no retry downloads it again.
    expect(reg.hits.file).toBe(1);
    await expectNothingIngested(store);
  });

  // A body shorter than its Content-Length is a transport failure, not evidence
  // of tampering: it is E_NETWORK (and retried), and the checksum never gets to judge it.
  it('treats a truncated body as E_NETWORK, retries it, and keeps nothing', async () => {
    const reg = await fakeRegistry({
      file: (_q, res) => {
        res.writeHead(200, { 'content-length': String(archive.length) });
        res.write(archive.subarray(0, archive.length >> 1), () => res.destroy());
      },
    });
    const store = freshStore();
    const err = await failure(fetchFromRegistry({ store, client: clientFor(reg.url, { retries: 1 }), name: NAME, version: VERSION }));
    expect(err.code).toBe('E_NETWORK');
    expect(err.message).toMatch(/closed after \d+ of \d+ bytes/);
    expect(reg.hits.file).toBe(2);
    await expectNothingIngested(store);
  });

  it('refuses a redirect to another host over plain http, without contacting it', async () => {
    const other = await fakeRegistry();
    const reg = await fakeRegistry({
      download: (_q, res) => {
        res.writeHead(302, { location: `http://localhost:${other.port}/file` });
        res.end();
      },
    });
    const store = freshStore();
    const err = await failure(fetchFromRegistry({ store, client: clientFor(reg.url, { retries: 2 }), name: NAME, version: VERSION }));
    expect(err.code).toBe('E_NETWORK');
    expect(err.message).toContain('neither https nor the registry itself');
    expect(other.seen).toEqual([]);
    expect(reg.hits.download).toBe(1);
    await expectNothingIngested(store);
  });

  it('never sends the API key to the redirect target', async () => {
    const reg = await fakeRegistry({
      download: (_q, res) => {
        res.writeHead(307, { location: `${reg.url}/file` });
        res.end();
      },
    });
    const store = freshStore();
    const r = await fetchFromRegistry({ store, client: clientFor(reg.url), name: NAME, version: VERSION });
    expect(r.downloaded).toBe(true);
    const api = reg.seen.filter((s) => s.url.startsWith('/api/'));
    const files = reg.seen.filter((s) => s.url === '/file');
    expect(api.length).toBeGreaterThan(0);
    for (const s of api) expect(s.headers['x-api-key']).toBe(KEY);
    expect(files).toHaveLength(1);
    expect(files[0]?.headers['x-api-key']).toBeUndefined();
  });

  it('gives up after a few redirects', async () => {
    const reg = await fakeRegistry({
      file: (_q, res) => {
        res.writeHead(302, { location: '/file' });
        res.end();
      },
    });
    const store = freshStore();
    const err = await failure(fetchFromRegistry({ store, client: clientFor(reg.url, { maxRedirects: 3 }), name: NAME, version: VERSION }));
    expect(err.code).toBe('E_NETWORK');
    expect(err.message).toContain('more than 3 times');
    expect(reg.hits.file).toBe(3);
    await expectNothingIngested(store);
  });

  it('retries a 500 and then succeeds', async () => {
    const reg = await fakeRegistry({
      download: (_q, res, n) => {
        if (n === 1) return json(res, 500, { error: 'boom' });
        res.writeHead(302, { location: '/file' });
        res.end();
      },
      checksum: (_q, res, n) => (n === 1 ? json(res, 503, {}) : json(res, 200, { checksum: sha256(archive) })),
    });
    const store = freshStore();
    const r = await fetchFromRegistry({ store, client: clientFor(reg.url, { retries: 3 }), name: NAME, version: VERSION });
    expect(r).toMatchObject({ downloaded: true, verified: true, sha256: sha256(archive) });
    expect(reg.hits.checksum).toBe(2);
    expect(reg.hits.download).toBe(2);
  });

  it('fails with E_NETWORK when 5xx outlasts the retries', async () => {
    const reg = await fakeRegistry({ latest: (_q, res) => json(res, 502, {}) });
    const err = await failure(fetchFromRegistry({ store: freshStore(), client: clientFor(reg.url, { retries: 2 }), name: NAME }));
    expect(err.code).toBe('E_NETWORK');
    expect(err.status).toBe(502);
    expect(reg.hits.latest).toBe(3);
  });

  it('honours 429 Retry-After (seconds) and then succeeds', async () => {
    const reg = await fakeRegistry({
      checksum: (_q, res, n) => {
        if (n === 1) {
          res.writeHead(429, { 'retry-after': '1', 'content-length': '0' });
          return res.end();
        }
        json(res, 200, { checksum: sha256(archive) });
      },
    });
    const store = freshStore();
    const started = Date.now();
    const r = await fetchFromRegistry({ store, client: clientFor(reg.url, { retries: 3, retryBaseDelayMs: 1 }), name: NAME, version: VERSION });
    const elapsed = Date.now() - started;
    expect(r.downloaded).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(5_000);
  });

  it('caps a huge Retry-After', async () => {
    const reg = await fakeRegistry({
      latest: (_q, res, n) => {
        if (n === 1) {
          res.writeHead(429, { 'retry-after': new Date(Date.now() + 3_600_000).toUTCString(), 'content-length': '0' });
          return res.end();
        }
        json(res, 200, { latestVersion: VERSION });
      },
    });
    const started = Date.now();
    const latest = await clientFor(reg.url, { retries: 1, maxRetryAfterMs: 200 }).latest(NAME);
    expect(latest.version).toBe(VERSION);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('aborts a body beyond the size limit (chunked, no Content-Length) and keeps nothing', async () => {
    const reg = await fakeRegistry({
      file: (_q, res) => {
        res.writeHead(200, { 'content-type': 'application/gzip' });
        res.end(archive);
      },
    });
    const store = freshStore();
    const err = await failure(fetchFromRegistry({ store, client: clientFor(reg.url, { retries: 2, maxArchiveBytes: 4096 }), name: NAME, version: VERSION }));
    expect(err.code).toBe('E_NETWORK');
    expect(err.message).toContain('larger than the limit of 4096 bytes');
    expect(reg.hits.file).toBe(1);
    await expectNothingIngested(store);
  });

  it('refuses a declared Content-Length beyond the limit before reading the body', async () => {
    const reg = await fakeRegistry();
    const store = freshStore();
    const err = await failure(fetchFromRegistry({ store, client: clientFor(reg.url, { maxArchiveBytes: 1000 }), name: NAME, version: VERSION }));
    expect(err.code).toBe('E_NETWORK');
    await expectNothingIngested(store);
  });

  it('aborts a body that stalls mid-way (stall timeout) and keeps nothing', async () => {
    const reg = await fakeRegistry({
      file: (_q, res) => {
        res.writeHead(200, { 'content-length': String(archive.length) });
        res.write(archive.subarray(0, 1000));
        // ...and never another byte; the server is closed by afterEach.
      },
    });
    const store = freshStore();
    const started = Date.now();
    const err = await failure(fetchFromRegistry({ store, client: clientFor(reg.url, { stallTimeoutMs: 300 }), name: NAME, version: VERSION }));
    expect(err.code).toBe('E_NETWORK');
    expect(err.message).toContain('sent nothing for 0.3 s');
    expect(Date.now() - started).toBeLessThan(3_000);
    await expectNothingIngested(store);
  });

  it('times out a download that trickles past the overall deadline', async () => {
    const reg = await fakeRegistry({
      file: (_q, res) => {
        res.writeHead(200, { 'content-length': String(archive.length) });
        let i = 0;
        const t = setInterval(() => {
          if (res.destroyed || i >= archive.length) return clearInterval(t);
          res.write(archive.subarray(i, i + 10));
          i += 10;
        }, 20);
      },
    });
    const store = freshStore();
    const err = await failure(
      fetchFromRegistry({ store, client: clientFor(reg.url, { stallTimeoutMs: 1000, downloadTimeoutMs: 500 }), name: NAME, version: VERSION }),
    );
    expect(err.code).toBe('E_NETWORK');
    expect(err.message).toContain('Timed out');
    await expectNothingIngested(store);
  });

  it('reports a refused connection as E_NETWORK', async () => {
    const reg = await fakeRegistry();
    const url = reg.url;
    await reg.close();
    servers = [];
    const err = await failure(clientFor(url, { retries: 1 }).info(NAME));
    expect(err.code).toBe('E_NETWORK');
    expect(err.message).toContain('ECONNREFUSED');
  });
});

describe('downloadUrl (a URL the user gave)', () => {
  it('streams the archive without the API key, and maps 404 to E_NOT_FOUND', async () => {
    const reg = await fakeRegistry();
    const store = freshStore();
    const c = clientFor(reg.url);
    const info = await c.downloadUrl(`${reg.url}/file`, { consume: (body) => ingest(store, body, { sourceKey: 'url:test' }) });
    expect(info.sha256).toBe(sha256(archive));
    expect(reg.seen.at(-1)?.headers['x-api-key']).toBeUndefined();
    const err = await failure(c.downloadUrl(`${reg.url}/missing`, { consume: async () => undefined }));
    expect(err.code).toBe('E_NOT_FOUND');
  });

  it('refuses a plain-http redirect to another origin', async () => {
    const other = await fakeRegistry();
    const reg = await fakeRegistry({
      file: (_q, res) => {
        res.writeHead(302, { location: `http://localhost:${other.port}/file` });
        res.end();
      },
    });
    const err = await failure(clientFor(reg.url).downloadUrl(`${reg.url}/file`, { consume: async () => undefined }));
    expect(err.code).toBe('E_NETWORK');
    expect(other.seen).toEqual([]);
  });
});

describe('hostile JSON answers', () => {
  const cases: Array<[string, Route, Handler, (c: RegistryClient) => Promise<unknown>]> = [
    ['a version that is a path', 'latest', (_q, res) => json(res, 200, { latestVersion: '../../etc/passwd' }), (c) => c.latest(NAME)],
    ['a detail that is not an object', 'latest', (_q, res) => json(res, 200, { latestVersionDetail: 'x' }), (c) => c.latest(NAME)],
    ['an array instead of an object', 'info', (_q, res) => json(res, 200, [1, 2]), (c) => c.info(NAME)],
    ['info without latestVersion', 'info', (_q, res) => json(res, 200, { name: NAME }), (c) => c.info(NAME)],
    ['a checksum that is not hex', 'checksum', (_q, res) => json(res, 200, { checksum: 'zz' }), (c) => c.checksum(NAME, VERSION)],
    [
      'a body that is not JSON',
      'checksum',
      (_q, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"checksum": ');
      },
      (c) => c.checksum(NAME, VERSION),
    ],
    [
      'a JSON body beyond 1 MiB',
      'info',
      (_q, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ name: NAME, latestVersion: null, pad: 'x'.repeat(2 * 1024 * 1024) }));
      },
      (c) => c.info(NAME),
    ],
    [
      'a redirect from an API call',
      'latest',
      (_q, res) => {
        res.writeHead(302, { location: 'https://example.invalid/' });
        res.end();
      },
      (c) => c.latest(NAME),
    ],
  ];
  for (const [what, route, handler, call] of cases) {
    it(`turns ${what} into E_NETWORK`, async () => {
      const reg = await fakeRegistry({ [route]: handler });
      const err = await failure(call(clientFor(reg.url)));
      expect(err.code).toBe('E_NETWORK');
    });
  }

  it('takes latestVersionDetail.version over latestVersion', async () => {
    const reg = await fakeRegistry({
      latest: (_q, res) =>
        json(res, 200, { latestVersion: '2026.01.01.1', latestVersionDetail: { version: '2026.02.02.2', publishedAt: 'x', channel: 'beta' } }),
    });
    expect(await clientFor(reg.url).latest(NAME, 'beta')).toEqual({ version: '2026.02.02.2', publishedAt: 'x', channel: 'beta' });
    expect(reg.seen[0]?.url).toBe('/api/v1/extensions/%40t%2Fhostile/latest?channel=beta');
  });

  it('encodes name and version, with a literal @ between them', async () => {
    const reg = await fakeRegistry();
    await clientFor(reg.url).checksum('@t/hostile', '2026.08.20.1', 'rc');
    expect(reg.seen[0]?.url).toBe('/api/v1/extensions/%40t%2Fhostile@2026.08.20.1/checksum?channel=rc');
  });
});
