import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSettings } from '@swamp-store/primitives';
import { findArchive, lookupVersion, openStore } from '@swamp-store/store';
import { RegistryClient, RegistryError, fetchFromRegistry } from '../src/index.js';
import { serveRegistry, startRegistryServer, type RegistryServer } from '../src/server/index.js';
import { contentFiles, publish } from './helpers/archives.js';

const KEY = 'test-key-123';

let tmp: string;
let dir: string;
let server: RegistryServer;
let client: RegistryClient;
let sums: Map<string, string>;
const logs: string[] = [];

function newStore(label: string) {
  return openStore({ root: path.join(tmp, `store-${label}`) });
}

async function rejection(p: Promise<unknown>): Promise<RegistryError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RegistryError);
  return err as RegistryError;
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'registry-local-'));
  dir = path.join(tmp, 'registry');
  await fs.mkdir(dir);
  sums = await publish(dir, [
    { name: '@t/alpha', version: '2026.01.01.1' },
    { name: '@t/alpha', version: '2026.02.01.9' },
    { name: '@t/alpha', version: '2026.02.01.10' },
    { name: '@t/alpha', version: '2026.03.01.1', channel: 'rc' },
    { name: '@t/alpha', version: '2026.04.01.1', channel: 'beta' },
    { name: '@t/only-beta', version: '2026.05.01.1', channel: 'beta' },
    { name: '@t/nested/deep', version: '2026.01.02.3', manifestExtra: { dependencies: ['@t/alpha'] } },
  ]);
  await fs.writeFile(path.join(dir, 'garbage.tar.gz'), 'not an archive');
  server = await startRegistryServer({ dir, apiKey: KEY, log: (l) => logs.push(l) });
  client = new RegistryClient({ baseUrl: server.url, apiKey: KEY, retries: 0 });
});

afterAll(async () => {
  await server?.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('client against the local registry server', () => {
  it('reads extension info with the newest version of each channel', async () => {
    const info = await client.info('@t/alpha');
    expect(info).toMatchObject({
      name: '@t/alpha',
      latestVersion: '2026.02.01.10',
      latestRc: '2026.03.01.1',
      latestBeta: '2026.04.01.1',
      deprecatedAt: null,
      yankedAt: null,
    });
    const nested = await client.info('@t/nested/deep');
    expect(nested.dependencies).toEqual(['@t/alpha']);
    expect(logs.some((l) => l.includes('garbage.tar.gz'))).toBe(true);
  });

  it('resolves latest per channel: stable < rc < beta, CalVer compared numerically', async () => {
    expect((await client.latest('@t/alpha')).version).toBe('2026.02.01.10');
    expect((await client.latest('@t/alpha', 'rc')).version).toBe('2026.03.01.1');
    expect((await client.latest('@t/alpha', 'beta')).version).toBe('2026.04.01.1');
    expect((await client.latest('@t/only-beta', 'beta')).version).toBe('2026.05.01.1');
    const err = await rejection(client.latest('@t/only-beta', 'rc'));
    expect(err.code).toBe('E_NOT_FOUND');
    expect(err.message).toContain('has no rc release');
  });

  it('serves checksums that are the sha256 of the archive bytes', async () => {
    expect(await client.checksum('@t/alpha', '2026.01.01.1')).toBe(sums.get('@t/alpha@2026.01.01.1'));
    expect(await client.checksum('@t/alpha', '2026.03.01.1', 'rc')).toBe(sums.get('@t/alpha@2026.03.01.1@rc'));
    expect(await client.checksum('@t/alpha', '2099.01.01.1')).toBeNull();
  });

  it('reports an unknown name as E_NOT_FOUND in Swamp style', async () => {
    const err = await rejection(client.info('@t/nope'));
    expect(err.code).toBe('E_NOT_FOUND');
    expect(err.message).toBe(`Extension @t/nope was not found in the registry at ${server.url}.`);
    expect(err.remedy).toBeTruthy();
    expect((await rejection(client.latest('@t/nope'))).code).toBe('E_NOT_FOUND');
  });

  it('refuses a wrong API key with E_NETWORK and a remedy naming SWAMP_API_KEY', async () => {
    const bad = new RegistryClient({ baseUrl: server.url, apiKey: 'wrong', retries: 0 });
    const err = await rejection(bad.info('@t/alpha'));
    expect(err.code).toBe('E_NETWORK');
    expect(err.status).toBe(401);
    expect(err.remedy).toContain('SWAMP_API_KEY');
  });

  it('takes the base URL and key from SWAMP_CLUB_URL and SWAMP_API_KEY', async () => {
    const fromEnv = new RegistryClient({ settings: readSettings({ SWAMP_CLUB_URL: `${server.url}/`, SWAMP_API_KEY: KEY }), retries: 0 });
    expect(fromEnv.baseUrl).toBe(server.url);
    expect((await fromEnv.latest('@t/alpha')).version).toBe('2026.02.01.10');
    expect(new RegistryClient({ settings: readSettings({}) }).baseUrl).toBe('https://swamp-club.com');
    expect(new RegistryClient().baseUrl).toBe('https://swamp-club.com');
  });
});

describe('fetchFromRegistry, store first', () => {
  it('downloads the latest version once, then serves it from the store', async () => {
    const store = newStore('first');
    const before = server.stats.downloads;
    const first = await fetchFromRegistry({ store, client, name: '@t/alpha' });
    expect(first).toMatchObject({ name: '@t/alpha', version: '2026.02.01.10', downloaded: true, verified: true, serverUrl: server.url });
    expect(first.sha256).toBe(sums.get('@t/alpha@2026.02.01.10'));
    expect(first.channel).toBeUndefined();
    expect(server.stats.downloads).toBe(before + 1);
    expect(await findArchive(store, first.sha256)).toBeDefined();

    const checksumCalls = server.stats.requests.checksum ?? 0;
    const second = await fetchFromRegistry({ store, client, name: '@t/alpha', version: '2026.02.01.10' });
    expect(second).toMatchObject({ downloaded: false, verified: true, sha256: first.sha256 });
    expect(server.stats.downloads).toBe(before + 1);
    // Store first still asks the registry which bytes the version has now.
    expect(server.stats.requests.checksum).toBe(checksumCalls + 1);
    // The key went to the API, never to the archive URL.
    expect(server.stats.filesWithApiKey).toBe(0);
  });

  it('fetches a pinned older version, a nested name and a beta release', async () => {
    const store = newStore('pinned');
    const old = await fetchFromRegistry({ store, client, name: '@t/alpha', version: '2026.01.01.1' });
    expect(old.sha256).toBe(sums.get('@t/alpha@2026.01.01.1'));
    const nested = await fetchFromRegistry({ store, client, name: '@t/nested/deep' });
    expect(nested.sha256).toBe(sums.get('@t/nested/deep@2026.01.02.3'));
    const beta = await fetchFromRegistry({ store, client, name: '@t/alpha', channel: 'beta' });
    expect(beta).toMatchObject({ version: '2026.04.01.1', channel: 'beta', downloaded: true });
    expect(beta.sha256).toBe(sums.get('@t/alpha@2026.04.01.1@beta'));
  });

  it('fails on an unknown name or version with E_NOT_FOUND and stores nothing', async () => {
    const store = newStore('unknown');
    const before = server.stats.downloads;
    expect((await rejection(fetchFromRegistry({ store, client, name: '@t/nope' }))).code).toBe('E_NOT_FOUND');
    const err = await rejection(fetchFromRegistry({ store, client, name: '@t/alpha', version: '2099.01.01.1' }));
    expect(err.code).toBe('E_NOT_FOUND');
    expect(err.message).toContain('@t/alpha@2099.01.01.1');
    expect(server.stats.downloads).toBe(before);
    expect(await contentFiles(store.layout.root)).toEqual([]);
  });

  it('resolves a pinned version offline without any request, and refuses what it cannot resolve', async () => {
    const store = newStore('offline');
    const online = await fetchFromRegistry({ store, client, name: '@t/alpha', version: '2026.02.01.9' });
    const requests = JSON.stringify(server.stats.requests);
    const offline = await fetchFromRegistry({ store, client, name: '@t/alpha', version: '2026.02.01.9', offline: true });
    expect(offline).toMatchObject({ downloaded: false, sha256: online.sha256, version: '2026.02.01.9' });
    expect(JSON.stringify(server.stats.requests)).toBe(requests);

    const noVersion = await rejection(fetchFromRegistry({ store, client, name: '@t/alpha', offline: true }));
    expect(noVersion.code).toBe('E_NOT_FOUND');
    expect(noVersion.remedy).toContain('--offline');
    const unknown = await rejection(fetchFromRegistry({ store, client, name: '@t/alpha', version: '2026.01.01.1', offline: true }));
    expect(unknown.code).toBe('E_NOT_FOUND');
    expect(JSON.stringify(server.stats.requests)).toBe(requests);
  });

  it('records which version a hit resolved to, so offline works after a store hit too', async () => {
    const store = newStore('hit-record');
    const a = await fetchFromRegistry({ store, client, name: '@t/alpha', version: '2026.03.01.1', channel: 'rc' });
    expect((await lookupVersion(store, '@t/alpha', '2026.03.01.1'))?.sha256).toBe(a.sha256);
  });

  it('installs unverified when the registry knows no checksum', async () => {
    const plain = await startRegistryServer({ dir, checksums: false });
    try {
      const c = new RegistryClient({ baseUrl: plain.url, retries: 0 });
      const store = newStore('unverified');
      const r = await fetchFromRegistry({ store, client: c, name: '@t/alpha', version: '2026.01.01.1' });
      expect(r).toMatchObject({ downloaded: true, verified: false, sha256: sums.get('@t/alpha@2026.01.01.1') });
      expect(plain.stats.downloads).toBe(1);
      // Nothing vouches for the stored bytes being what the registry serves now:
      // a later pull downloads again (only concurrent pulls share one download).
      const again = await fetchFromRegistry({ store, client: c, name: '@t/alpha', version: '2026.01.01.1' });
      expect(again).toMatchObject({ downloaded: true, verified: false, sha256: r.sha256 });
      expect(plain.stats.downloads).toBe(2);
    } finally {
      await plain.close();
    }
  });

  it('rescans the folder: an archive added while serving is visible at once', async () => {
    await publish(dir, [{ name: '@t/late', version: '2026.06.01.1' }]);
    expect((await client.latest('@t/late')).version).toBe('2026.06.01.1');
  });
});

describe('serveRegistry', () => {
  it('prints the URL, serves, and stops when asked', async () => {
    const lines: string[] = [];
    const ac = new AbortController();
    let url = '';
    const done = serveRegistry({ dir, port: 0, out: (l) => lines.push(l), signal: ac.signal, onListening: (s) => (url = s.url) });
    await expect.poll(() => url).not.toBe('');
    expect(lines[0]).toContain(url);
    const c = new RegistryClient({ baseUrl: url, retries: 0 });
    expect((await c.latest('@t/alpha')).version).toBe('2026.02.01.10');
    ac.abort();
    await done;
    const err = await rejection(c.latest('@t/alpha'));
    expect(err.code).toBe('E_NETWORK');
  });

  it('refuses a missing folder', async () => {
    const err = await rejection(startRegistryServer({ dir: path.join(tmp, 'missing') }));
    expect(err.code).toBe('E_NOT_FOUND');
  });
});
