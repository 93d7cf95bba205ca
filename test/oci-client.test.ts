// The OCI distribution client against the real CNCF distribution registry
// (Debian's docker-registry), and against small servers that misbehave.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OciClient, findCredentials, manifestBytes, parseArchiveManifest, parseChallenge, parseRemoteUrl, tagFor } from '@swamp-store/oci';
import { useSandbox } from './helpers/sandbox.js';
import { startOciRegistry, type OciRegistry } from './helpers/oci-registry.mjs';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function collect(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const box = useSandbox('swamp-store-oci-client-', { build: false });
let basic: OciRegistry;
let bearer: OciRegistry;

beforeAll(async () => {
  [basic, bearer] = await Promise.all([startOciRegistry(path.join(box.root, 'basic')), startOciRegistry(path.join(box.root, 'bearer'), { auth: 'token' })]);
});

afterAll(async () => {
  await Promise.all([basic?.close(), bearer?.close()]);
});

describe('layout', () => {
  it('tags name@version readably and injectively, hashing what the tag grammar cannot hold', () => {
    expect(tagFor('@t/alpha', '2026.08.01.1')).toBe('t.alpha..2026.08.01.1');
    expect(tagFor('@a/b/c', '1')).toBe('a.b.c..1');
    expect(tagFor('@a/b', 'c.1')).not.toBe(tagFor('@a/b.c', '1'));
    expect(tagFor('@-x/y', '1')).toMatch(/^sha256-[0-9a-f]{64}$/);
    expect(tagFor('@t/a', '1+build')).toMatch(/^sha256-[0-9a-f]{64}$/);
    expect(tagFor('@t/a', 'x'.repeat(200))).toMatch(/^sha256-/);
  });

  it('writes deterministic manifests and reads back only its own', () => {
    const a = { name: '@t/a', version: '1', sha256: 'ab'.repeat(32), size: 10 };
    expect(manifestBytes(a).equals(manifestBytes({ ...a }))).toBe(true);
    expect(parseArchiveManifest(manifestBytes(a), '@t/a', '1')).toEqual(a);
    expect(parseArchiveManifest(manifestBytes(a), '@t/a', '2')).toBeUndefined();
    expect(parseArchiveManifest(Buffer.from('{"schemaVersion":2,"layers":"x"}'), '@t/a', '1')).toBeUndefined();
    expect(parseArchiveManifest(Buffer.from('not json'), '@t/a', '1')).toBeUndefined();
  });

  it('parses remote URLs and challenges', () => {
    expect(parseRemoteUrl('oci://reg.example.com:5000/swamp/cache')).toMatchObject({ origin: 'https://reg.example.com:5000', host: 'reg.example.com:5000', repository: 'swamp/cache' });
    expect(parseRemoteUrl('oci+http://127.0.0.1:1/a').origin).toBe('http://127.0.0.1:1');
    for (const bad of ['https://x/y', 'oci://x', 'oci://x/UPPER', 'oci://u:p@x/y']) expect(() => parseRemoteUrl(bad)).toThrow(/E_REMOTE_CONFIG|remote/);
    expect(parseChallenge('Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull,push"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.example/token', service: 'reg', scope: 'repository:a/b:pull,push' },
    });
    expect(parseChallenge('Basic realm="x"')?.scheme).toBe('basic');
    expect(parseChallenge('Negotiate')).toBeUndefined();
  });

  it('reads credentials from the environment, else the auths entry of Docker config.json for that host', async () => {
    const dir = path.join(box.root, 'docker');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({ auths: { 'https://reg.example.com:5000/v1/': { auth: Buffer.from('dock:er:pw').toString('base64') }, 'other.example': { auth: 'eDp5' } } }),
    );
    expect(await findCredentials('reg.example.com:5000', { dockerConfig: dir })).toMatchObject({ username: 'dock', password: 'er:pw' });
    expect(await findCredentials('nowhere.example', { dockerConfig: dir })).toBeUndefined();
    expect(await findCredentials('reg.example.com:5000', { dockerConfig: dir, username: 'env', password: 'p' })).toMatchObject({ username: 'env' });
  });
});

async function roundTrip(reg: OciRegistry, client: OciClient): Promise<void> {
  const bytes = Buffer.from(`archive bytes ${reg.port} ${'x'.repeat(70_000)}`);
  const a = { name: '@t/round', version: '2026.01.01.1', sha256: sha256(bytes), size: bytes.length };
  expect(await client.resolveTag(a.name, a.version)).toBeUndefined();
  expect(await client.hasBlob(a.sha256)).toBe(false);
  expect(await client.getBlob(a.sha256, collect)).toBeUndefined();
  expect(await client.pushArchive(a, () => Readable.from([bytes]))).toBe(true);
  // Pushing again, from "another machine" at once, is harmless and writes nothing new.
  const again = await Promise.all([1, 2, 3].map(() => new OciClient({ remote: reg.url, credentials: { username: reg.username, password: reg.password, from: 'test' } }).pushArchive(a, () => Readable.from([bytes]))));
  expect(again).toEqual([false, false, false]);
  expect(await client.resolveTag(a.name, a.version)).toEqual(a);
  expect((await client.getBlob(a.sha256, collect))?.equals(bytes)).toBe(true);
  expect(reg.manifests()).toHaveLength(1);
  expect(reg.tags()).toEqual([tagFor(a.name, a.version)]);
  expect(await client.listTags()).toEqual([tagFor(a.name, a.version)]);
}

describe('against docker-registry', () => {
  it('Basic auth: pushes blob + manifest, resolves the tag, reads the blob back', async () => {
    await roundTrip(basic, new OciClient({ remote: basic.url, credentialSources: { username: basic.username, password: basic.password } }));
  });

  it('Bearer: answers the challenge through the token realm', async () => {
    await roundTrip(bearer, new OciClient({ remote: bearer.url, credentials: { username: bearer.username, password: bearer.password, from: 'test' } }));
    expect(bearer.token?.stats.tokens).toBeGreaterThan(0);
  });

  it('wrong or missing credentials are E_REMOTE_AUTH, for Basic and Bearer', async () => {
    for (const reg of [basic, bearer]) {
      const wrong = new OciClient({ remote: reg.url, credentials: { username: reg.username, password: 'nope', from: 'test' } });
      await expect(wrong.hasBlob('00'.repeat(32))).rejects.toMatchObject({ code: 'E_REMOTE_AUTH' });
      const anonymous = new OciClient({ remote: reg.url, credentials: null });
      await expect(anonymous.hasBlob('00'.repeat(32))).rejects.toMatchObject({ code: 'E_REMOTE_AUTH' });
    }
  });

  it('a registry that is not there is E_REMOTE within the connect timeout', async () => {
    const client = new OciClient({ remote: 'oci+http://127.0.0.1:1/a/b', credentials: null, connectTimeoutMs: 500 });
    await expect(client.hasBlob('00'.repeat(32))).rejects.toMatchObject({ code: 'E_REMOTE' });
  });
});

describe('against misbehaving servers', () => {
  const servers: http.Server[] = [];
  afterAll(() => servers.forEach((s) => s.close()));
  async function serve(handler: http.RequestListener): Promise<string> {
    const s = http.createServer(handler);
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return `127.0.0.1:${(s.address() as AddressInfo).port}`;
  }

  it('never sends the credentials along a redirect, and refuses one to another plain-http host', async () => {
    const seen: Array<string | undefined> = [];
    const other = await serve((_req, res) => res.end('elsewhere'));
    const host = await serve((req, res) => {
      if (req.url?.startsWith('/storage/')) {
        seen.push(req.headers.authorization);
        res.end('blob-bytes');
        return;
      }
      if (req.headers.authorization !== `Basic ${Buffer.from('u:p').toString('base64')}`) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="x"' }).end();
        return;
      }
      seen.push(req.headers.authorization);
      const away = req.url?.includes('11111111') ? `http://${other}/x` : '/storage/blob';
      res.writeHead(307, { location: away }).end();
    });
    const client = new OciClient({ remote: `oci+http://${host}/a/b`, credentials: { username: 'u', password: 'p', from: 'test' } });
    expect((await client.getBlob('00'.repeat(32), collect))?.toString()).toBe('blob-bytes');
    expect(seen).toEqual([`Basic ${Buffer.from('u:p').toString('base64')}`, undefined]);
    await expect(client.getBlob('11'.repeat(32), collect)).rejects.toThrow(/neither https nor the registry itself/);
  });

  it('a stalled answer is E_REMOTE after the stall timeout', async () => {
    const host = await serve(() => undefined);
    const client = new OciClient({ remote: `oci+http://${host}/a/b`, credentials: null, stallTimeoutMs: 300 });
    const t0 = Date.now();
    await expect(client.hasBlob('00'.repeat(32))).rejects.toMatchObject({ code: 'E_REMOTE' });
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('an answer that is too large is refused', async () => {
    const host = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': String(2048) });
      res.end(Buffer.alloc(2048));
    });
    const client = new OciClient({ remote: `oci+http://${host}/a/b`, credentials: null });
    await expect(client.getBlob('00'.repeat(32), collect, 1024)).rejects.toMatchObject({ code: 'E_REMOTE' });
  });
});
