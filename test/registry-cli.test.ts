// Pull by name through the built `swamp-store` CLI, as users and agents run
// it: against the local registry server (in-process, so its request counters
// prove what went over the network), and against plain node:http servers that
// misbehave on purpose. Every failure must leave the repository untouched.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistryServer, type RegistryServer } from '@swamp-store/registry/server';
import { buildExtensionArchive, writeArchive } from './helpers/archive-builder.mjs';
import { makeRepo, runCli, type CliResult } from './helpers/cli.mjs';
import { useSandbox } from './helpers/sandbox.js';
import { generateExtension } from './helpers/sample-corpus.mjs';

const LOCKFILE = 'extensions/models/upstream_extensions.json';

const box = useSandbox('swamp-store-registry-cli-');
let registryDir: string;
let registry: RegistryServer;
let counter = 0;
/** Misbehaving servers, closed after all tests: a stalled test's half-sent response stays open until then, harmlessly. */
const fakes: FakeServer[] = [];
const sums = new Map<string, string>();

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function publish(name: string, version: string, opts: { channel?: 'beta' | 'rc'; dependencies?: string[] } = {}): Promise<void> {
  const bytes = buildExtensionArchive(generateExtension({ name, version, files: 9, bytes: 30_000, ...(opts.dependencies ? { dependencies: opts.dependencies } : {}) }));
  const folder = opts.channel ? path.join(registryDir, opts.channel) : registryDir;
  await writeArchive(folder, `${name.slice(1).replace(/\//g, '-')}-${version}.tar.gz`, bytes);
  sums.set(`${name}@${version}`, sha256(bytes));
}

beforeAll(async () => {
  registryDir = path.join(box.root, 'registry');
  await publish('@t/alpha', '2026.08.01.1');
  await publish('@t/alpha', '2026.08.10.1');
  await publish('@t/alpha', '2026.08.20.1', { channel: 'beta' });
  await publish('@x/dep', '2026.08.01.1');
  await publish('@x/dep', '2026.08.05.1');
  await publish('@x/app', '2026.08.01.1', { dependencies: ['@x/dep'] });
  await publish('@x/pinned', '2026.08.01.1', { dependencies: ['@x/dep@2026.08.01.1'] });
  await publish('@x/ranged', '2026.08.01.1', { dependencies: ['@x/dep@>=2026.08.01.1'] });
  await publish('@c/one', '2026.08.01.1', { dependencies: ['@c/two'] });
  await publish('@c/two', '2026.08.01.1', { dependencies: ['@c/one'] });
  registry = await startRegistryServer({ dir: registryDir });
});

afterAll(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  await registry?.close();
});

/** A fresh repository and store; `store` may be shared by passing one in. */
function fresh(store?: string): { repo: string; store: string } {
  const n = ++counter;
  return { repo: makeRepo(path.join(box.root, `repo-${n}`)), store: store ?? path.join(box.root, `store-${n}`) };
}

function pull(refs: string[], ctx: { repo: string; store: string }, opts: { url?: string; args?: string[]; env?: Record<string, string> } = {}): Promise<CliResult> {
  return runCli(['extension', 'pull', ...refs, '--repo-dir', ctx.repo, '--json', ...(opts.args ?? [])], {
    env: { SWAMP_STORE_DIR: ctx.store, SWAMP_CLUB_URL: opts.url ?? registry.url, SWAMP_API_KEY: undefined, SWAMP_REPO_DIR: undefined, ...opts.env },
  });
}

function lockfile(repo: string): Record<string, Record<string, unknown>> {
  return JSON.parse(fs.readFileSync(path.join(repo, LOCKFILE), 'utf8')) as Record<string, Record<string, unknown>>;
}

/** The registry's request count so far (every route). */
function requests(server: RegistryServer = registry): number {
  return Object.values(server.stats.requests).reduce((a, b) => a + b, 0);
}

/** No lockfile, no installed files, and no unpacked tree in the store. */
function expectNothingInstalled(ctx: { repo: string; store: string }): void {
  expect(fs.existsSync(path.join(ctx.repo, LOCKFILE))).toBe(false);
  for (const d of ['.swamp/pulled-extensions', '.swamp/bundles', '.claude/skills']) {
    const abs = path.join(ctx.repo, d);
    expect(fs.existsSync(abs) ? fs.readdirSync(abs) : []).toEqual([]);
  }
  const trees = path.join(ctx.store, 'v1', 'trees');
  expect(fs.existsSync(trees) ? fs.readdirSync(trees).filter((n) => !n.startsWith('.')) : []).toEqual([]);
}

function expectOk(r: CliResult): void {
  expect(r.code, r.stderr).toBe(0);
}

describe('extension pull by name against `registry serve`', () => {
  it('pulls the latest stable release by name and records the registry in the lockfile', async () => {
    const ctx = fresh();
    const r = await pull(['@t/alpha'], ctx);
    expectOk(r);
    expect(r.json.extensions).toHaveLength(1);
    expect(r.json.extensions[0]).toMatchObject({ name: '@t/alpha', version: '2026.08.10.1', checksum: sums.get('@t/alpha@2026.08.10.1'), store: 'extracted', downloaded: true, verified: true });
    const entry = lockfile(ctx.repo)['@t/alpha'];
    expect(entry).toMatchObject({ version: '2026.08.10.1', checksum: sums.get('@t/alpha@2026.08.10.1'), serverUrl: registry.url });
    expect(entry).not.toHaveProperty('channel');
    expect(fs.existsSync(path.join(ctx.repo, '.swamp/pulled-extensions/@t/alpha/manifest.yaml'))).toBe(true);
  });

  it('pulls an exact @version, given with --registry instead of SWAMP_CLUB_URL', async () => {
    const ctx = fresh();
    const r = await pull(['@t/alpha@2026.08.01.1'], ctx, { url: 'http://127.0.0.1:9', args: ['--registry', registry.url] });
    expectOk(r);
    expect(r.json.extensions[0]).toMatchObject({ version: '2026.08.01.1', checksum: sums.get('@t/alpha@2026.08.01.1') });
    expect(lockfile(ctx.repo)['@t/alpha']).toMatchObject({ version: '2026.08.01.1', serverUrl: registry.url });
  });

  it('pulls from the beta channel with --channel beta and records the channel', async () => {
    const ctx = fresh();
    const r = await pull(['@t/alpha'], ctx, { args: ['--channel', 'beta'] });
    expectOk(r);
    expect(r.json.extensions[0]).toMatchObject({ version: '2026.08.20.1', checksum: sums.get('@t/alpha@2026.08.20.1') });
    expect(lockfile(ctx.repo)['@t/alpha']).toMatchObject({ version: '2026.08.20.1', serverUrl: registry.url, channel: 'beta' });
  });

  it('fails on an unknown name with E_NOT_FOUND, exit 1, and installs nothing', async () => {
    const ctx = fresh();
    const r = await pull(['@t/nope'], ctx);
    expect(r.code).toBe(1);
    expect(r.errorJson).toMatchObject({ code: 'E_NOT_FOUND' });
    expect(r.errorJson.error).toContain('@t/nope');
    expect(r.stdout).toBe('');
    expectNothingInstalled(ctx);
  });

  it('--offline with nothing cached fails clearly, without a request', async () => {
    const ctx = fresh();
    const before = requests();
    const pinned = await pull(['@t/alpha@2026.08.01.1'], ctx, { args: ['--offline'] });
    expect(pinned.code).toBe(1);
    expect(pinned.errorJson).toMatchObject({ code: 'E_NOT_FOUND' });
    expect(pinned.errorJson.error).toMatch(/not in the store.*--offline/);
    const latest = await pull(['@t/alpha'], ctx, { args: ['--offline'] });
    expect(latest.code).toBe(1);
    expect(latest.errorJson.error).toContain('offline');
    expect(requests()).toBe(before);
    expectNothingInstalled(ctx);
  });

  it('--offline pulls a pinned version fetched before, with no request to the registry', async () => {
    const first = fresh();
    expectOk(await pull(['@t/alpha@2026.08.01.1'], first));
    const second = fresh(first.store);
    const before = requests();
    const r = await pull(['@t/alpha@2026.08.01.1'], second, { args: ['--offline'] });
    expectOk(r);
    expect(r.json.extensions[0]).toMatchObject({ version: '2026.08.01.1', checksum: sums.get('@t/alpha@2026.08.01.1'), downloaded: false, store: 'hit' });
    expect(requests()).toBe(before);
    expect(lockfile(second.repo)['@t/alpha']).toMatchObject({ version: '2026.08.01.1', checksum: sums.get('@t/alpha@2026.08.01.1') });
  });

  it('extension install --offline restores a deleted .swamp/ with no request', async () => {
    const ctx = fresh();
    expectOk(await pull(['@t/alpha@2026.08.01.1', '@x/app'], ctx));
    fs.rmSync(path.join(ctx.repo, '.swamp'), { recursive: true, force: true });
    const before = requests();
    const r = await runCli(['extension', 'install', '--repo-dir', ctx.repo, '--offline', '--json'], { env: { SWAMP_STORE_DIR: ctx.store, SWAMP_CLUB_URL: registry.url } });
    expectOk(r);
    expect(r.json.extensions.map((e: { name: string }) => e.name).sort()).toEqual(['@t/alpha', '@x/app', '@x/dep']);
    expect(requests()).toBe(before);
    expect(fs.existsSync(path.join(ctx.repo, '.swamp/pulled-extensions/@x/dep/manifest.yaml'))).toBe(true);
    const verify = await runCli(['extension', 'verify', '--repo-dir', ctx.repo, '--json'], { env: { SWAMP_STORE_DIR: ctx.store } });
    expect(verify.json).toMatchObject({ ok: true, problems: [] });
  });
});

describe('dependencies', () => {
  it('pulls a dependency named without a version, or with a constraint, at its latest release, once, with its own lockfile entry', async () => {
    const ctx = fresh();
    const r = await pull(['@x/app', '@x/ranged'], ctx);
    expectOk(r);
    const names = r.json.extensions.map((e: { name: string }) => e.name);
    expect(names.sort()).toEqual(['@x/app', '@x/dep', '@x/ranged']);
    const dep = r.json.extensions.find((e: { name: string }) => e.name === '@x/dep');
    expect(dep).toMatchObject({ version: '2026.08.05.1' });
    expect(['@x/app', '@x/ranged']).toContain(dep.dependencyOf);
    const lock = lockfile(ctx.repo);
    expect(Object.keys(lock).sort()).toEqual(['@x/app', '@x/dep', '@x/ranged']);
    expect(lock['@x/dep']).toMatchObject({ version: '2026.08.05.1', checksum: sums.get('@x/dep@2026.08.05.1'), serverUrl: registry.url });
    expect(lock['@x/app']).toMatchObject({ version: '2026.08.01.1', checksum: sums.get('@x/app@2026.08.01.1') });
  });

  it('honours an exact @version dependency over a newer release', async () => {
    const ctx = fresh();
    const r = await pull(['@x/pinned'], ctx);
    expectOk(r);
    expect(lockfile(ctx.repo)['@x/dep']).toMatchObject({ version: '2026.08.01.1', checksum: sums.get('@x/dep@2026.08.01.1') });
    expect(lockfile(ctx.repo)['@x/pinned']).toMatchObject({ version: '2026.08.01.1' });
  });

  it('terminates on a dependency cycle, pulling each extension once', async () => {
    const ctx = fresh();
    const r = await pull(['@c/one'], ctx);
    expectOk(r);
    expect(r.json.extensions.map((e: { name: string }) => e.name).sort()).toEqual(['@c/one', '@c/two']);
    expect(Object.keys(lockfile(ctx.repo)).sort()).toEqual(['@c/one', '@c/two']);
  });
});

// ---------------------------------------------------------------------------
// Misbehaving registries: plain node:http servers, one per test.

const NAME = '@t/hostile';
const VERSION = '2026.08.20.1';
type Route = 'info' | 'latest' | 'checksum' | 'download' | 'file';
type Handler = (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void;

interface FakeServer {
  url: string;
  port: number;
  hits: Record<Route, number>;
  /** When each request arrived, per route. */
  times: Record<Route, number[]>;
  other: number;
  close(): Promise<void>;
}

let hostileArchive: Buffer;

function routeOf(url: string): Route | undefined {
  const p = url.split('?')[0] ?? '';
  if (p === '/file') return 'file';
  const m = /^\/api\/v1\/extensions\/([^/]+)(?:\/(latest|checksum|download))?$/.exec(p);
  if (!m) return undefined;
  return (m[2] as Route | undefined) ?? 'info';
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

/** A registry that serves @t/hostile correctly except on the routes a test overrides. */
async function fakeRegistry(overrides: Partial<Record<Route, Handler>> = {}): Promise<FakeServer> {
  const hits: Record<Route, number> = { info: 0, latest: 0, checksum: 0, download: 0, file: 0 };
  const times: Record<Route, number[]> = { info: [], latest: [], checksum: [], download: [], file: [] };
  const defaults: Record<Route, Handler> = {
    info: (_q, res) => sendJson(res, 200, { name: NAME, latestVersion: VERSION, latestRc: null, latestBeta: null, deprecatedAt: null, yankedAt: null }),
    latest: (_q, res) => sendJson(res, 200, { latestVersion: VERSION }),
    checksum: (_q, res) => sendJson(res, 200, { checksum: sha256(hostileArchive) }),
    download: (_q, res) => {
      res.writeHead(302, { location: '/file', 'content-length': '0' });
      res.end();
    },
    file: (_q, res) => {
      res.writeHead(200, { 'content-length': String(hostileArchive.length) });
      res.end(hostileArchive);
    },
  };
  const fake = { hits, times, other: 0 } as FakeServer;
  const server = http.createServer((req, res) => {
    const route = routeOf(req.url ?? '');
    if (!route) {
      fake.other++;
      return sendJson(res, 404, {});
    }
    hits[route]++;
    times[route].push(Date.now());
    (overrides[route] ?? defaults[route])(req, res, hits[route]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.port = (server.address() as AddressInfo).port;
  fake.url = `http://127.0.0.1:${fake.port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  fakes.push(fake);
  return fake;
}

// Concurrent: most of the time here is retry backoff, Retry-After and stall
// timers, which overlap well; each test has its own servers, repo and store.
describe.concurrent('extension pull against a misbehaving registry', () => {
  beforeAll(() => {
    hostileArchive = buildExtensionArchive(generateExtension({ name: NAME, version: VERSION, files: 12, bytes: 60_000 }));
    // Bigger than every limit below, and compressed text still well over 4 KiB.
    expect(hostileArchive.length).toBeGreaterThan(10_000);
  });

  it('wrong checksum: E_INTEGRITY and nothing installed', async () => {
    const reg = await fakeRegistry({ checksum: (_q, res) => sendJson(res, 200, { checksum: sha256(Buffer.from('other bytes')) }) });
    const ctx = fresh();
    const r = await pull([NAME], ctx, { url: reg.url });
    expect(r.code).toBe(1);
    expect(r.errorJson).toMatchObject({ code: 'E_INTEGRITY' });
    expect(reg.hits.file).toBe(1);
    expectNothingInstalled(ctx);
  });

  it('truncated body: E_NETWORK after retries, nothing installed', async () => {
    const reg = await fakeRegistry({
      file: (_q, res) => {
        res.writeHead(200, { 'content-length': String(hostileArchive.length) });
        res.write(hostileArchive.subarray(0, 5000), () => res.destroy());
      },
    });
    const ctx = fresh();
    const r = await pull([NAME], ctx, { url: reg.url });
    expect(r.code).toBe(1);
    expect(r.errorJson).toMatchObject({ code: 'E_NETWORK' });
    expect(r.errorJson.error).toMatch(/closed after \d+ of \d+ bytes/);
    expect(reg.hits.file).toBeGreaterThan(1); // retried
    expectNothingInstalled(ctx);
  });

  it('redirect to another host over plain http: refused without contacting it, nothing installed', async () => {
    const elsewhere = await fakeRegistry();
    const reg = await fakeRegistry({
      download: (_q, res) => {
        res.writeHead(302, { location: `http://localhost:${elsewhere.port}/file`, 'content-length': '0' });
        res.end();
      },
    });
    const ctx = fresh();
    const r = await pull([NAME], ctx, { url: reg.url });
    expect(r.code).toBe(1);
    expect(r.errorJson).toMatchObject({ code: 'E_NETWORK' });
    expect(r.errorJson.error).toContain('neither https nor the registry itself');
    expect(elsewhere.hits.file + elsewhere.other).toBe(0);
    expectNothingInstalled(ctx);
  });

  it('500 then success: retried, installed', async () => {
    const fail500 = (ok: Handler): Handler => (q, res, n) => (n === 1 ? sendJson(res, 500, { error: 'boom' }) : ok(q, res, n));
    const reg = await fakeRegistry({
      latest: fail500((_q, res) => sendJson(res, 200, { latestVersion: VERSION })),
      file: fail500((_q, res) => {
        res.writeHead(200, { 'content-length': String(hostileArchive.length) });
        res.end(hostileArchive);
      }),
    });
    const ctx = fresh();
    const r = await pull([NAME], ctx, { url: reg.url });
    expectOk(r);
    expect(r.json.extensions[0]).toMatchObject({ name: NAME, version: VERSION, downloaded: true, verified: true, checksum: sha256(hostileArchive) });
    expect(reg.hits.latest).toBe(2);
    expect(reg.hits.file).toBe(2);
    expect(lockfile(ctx.repo)[NAME]).toMatchObject({ version: VERSION, serverUrl: reg.url });
  });

  it('429 with Retry-After: waits as told, then installs', async () => {
    const reg = await fakeRegistry({
      download: (_q, res, n) => {
        if (n === 1) {
          res.writeHead(429, { 'retry-after': '1', 'content-length': '0' });
          res.end();
          return;
        }
        res.writeHead(302, { location: '/file', 'content-length': '0' });
        res.end();
      },
    });
    const ctx = fresh();
    const r = await pull([NAME], ctx, { url: reg.url });
    expectOk(r);
    expect(reg.hits.download).toBe(2);
    const [first, second] = reg.times.download as [number, number];
    expect(second - first).toBeGreaterThanOrEqual(950);
    expect(lockfile(ctx.repo)[NAME]).toMatchObject({ version: VERSION });
  });

  it('a body beyond the size limit (SWAMP_STORE_MAX_ARCHIVE_BYTES), declared or streamed: refused, nothing installed', async () => {
    const chunked = await fakeRegistry({
      file: (_q, res) => {
        res.writeHead(200, { 'content-type': 'application/gzip' }); // no Content-Length: the limit must bite mid-stream
        res.end(hostileArchive);
      },
    });
    const declared = await fakeRegistry();
    for (const reg of [chunked, declared]) {
      const ctx = fresh();
      const r = await pull([NAME], ctx, { url: reg.url, env: { SWAMP_STORE_MAX_ARCHIVE_BYTES: '4096' } });
      expect(r.code).toBe(1);
      expect(r.errorJson).toMatchObject({ code: 'E_NETWORK' });
      expect(r.errorJson.error).toContain('larger than the limit of 4096 bytes');
      expect(reg.hits.file).toBe(1); // a limit is final: no retry
      expectNothingInstalled(ctx);
    }
  });

  it('a server that stalls mid-body: times out (SWAMP_STORE_STALL_TIMEOUT_MS), nothing installed', async () => {
    const reg = await fakeRegistry({
      file: (_q, res) => {
        res.writeHead(200, { 'content-length': String(hostileArchive.length) });
        res.write(hostileArchive.subarray(0, 2000));
        // ...and never another byte; afterAll closes the connection.
      },
    });
    const ctx = fresh();
    const r = await pull([NAME], ctx, { url: reg.url, env: { SWAMP_STORE_STALL_TIMEOUT_MS: '1000' } });
    expect(r.code).toBe(1);
    expect(r.errorJson).toMatchObject({ code: 'E_NETWORK' });
    expect(r.errorJson.error).toContain('sent nothing for 1 s');
    expectNothingInstalled(ctx);
  });
});

describe('8 processes pulling one name@version into 8 worktrees at once', () => {
  it('download it exactly once, and every worktree gets it', async () => {
    const N = 8;
    // The archive body is held back until all N processes have asked for the
    // checksum: by then each has seen the store lack the bytes, so they really
    // contend for the one download rather than arriving after it finished.
    let release!: () => void;
    const allAsked = new Promise<void>((resolve) => (release = resolve));
    const held = setTimeout(release, 45_000); // a safety net only; the test checks the barrier was met
    const reg = await fakeRegistry({
      checksum: (_q, res, n) => {
        if (n === N) release();
        sendJson(res, 200, { checksum: sha256(hostileArchive) });
      },
      file: (_q, res) => {
        void allAsked.then(() => {
          res.writeHead(200, { 'content-length': String(hostileArchive.length) });
          res.end(hostileArchive);
        });
      },
    });
    const store = path.join(box.root, `store-shared-${++counter}`);
    const ctxs = Array.from({ length: N }, () => fresh(store));
    const results = await Promise.all(ctxs.map((ctx) => pull([`${NAME}@${VERSION}`], ctx, { url: reg.url })));
    clearTimeout(held);
    for (const r of results) expectOk(r);
    expect(reg.hits.checksum).toBe(N);
    expect(reg.hits.file).toBe(1);
    const entries = results.map((r) => r.json.extensions[0] as { downloaded: boolean; store: string; checksum: string });
    expect(entries.filter((e) => e.downloaded)).toHaveLength(1);
    expect(entries.filter((e) => e.store === 'extracted')).toHaveLength(1);
    for (const e of entries) expect(e.checksum).toBe(sha256(hostileArchive));
    for (const ctx of ctxs) expect(lockfile(ctx.repo)[NAME]).toMatchObject({ version: VERSION, checksum: sha256(hostileArchive) });
  });
});
