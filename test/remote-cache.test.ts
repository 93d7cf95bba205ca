// The fleet's shared cache (SWAMP_STORE_REMOTE) against the real CNCF
// distribution registry (Debian's docker-registry): separate stores as separate
// machines, the built CLI as separate OS processes, and Swamp's registry as the
// in-process `registry serve` whose counters prove what left it.
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
import { startOciRegistry, type OciRegistry } from './helpers/oci-registry.mjs';
import { generateExtension } from './helpers/sample-corpus.mjs';

const VERSION = '2026.01.01.1';
const NAMES = Array.from({ length: 20 }, (_, i) => `@fleet/n${String(i).padStart(2, '0')}`);
const sums = new Map<string, string>();

const box = useSandbox('swamp-store-remote-');
let swamp: RegistryServer;
let shared: OciRegistry;
let fleetRemote: OciRegistry;
let tokenRemote: OciRegistry;
let counter = 0;

beforeAll(async () => {
  const dir = path.join(box.root, 'swamp');
  for (const name of NAMES) {
    const bytes = buildExtensionArchive(generateExtension({ name, version: VERSION, files: 4, bytes: 6_000, seed: sums.size + 1 }));
    await writeArchive(dir, `${name.slice(1).replace('/', '-')}-${VERSION}.tar.gz`, bytes);
    sums.set(name, createHash('sha256').update(bytes).digest('hex'));
  }
  [swamp, shared, fleetRemote, tokenRemote] = await Promise.all([
    startRegistryServer({ dir }),
    startOciRegistry(path.join(box.root, 'oci-shared')),
    startOciRegistry(path.join(box.root, 'oci-fleet')),
    startOciRegistry(path.join(box.root, 'oci-token'), { auth: 'token' }),
  ]);
});

afterAll(async () => {
  await Promise.all([swamp?.close(), shared?.close(), fleetRemote?.close(), tokenRemote?.close()]);
});

interface Machine {
  store: string;
}

function machine(): Machine {
  return { store: path.join(box.root, `machine-${++counter}`) };
}

function remoteEnv(reg: OciRegistry, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { SWAMP_STORE_REMOTE: reg.url, SWAMP_STORE_REMOTE_USERNAME: reg.username, SWAMP_STORE_REMOTE_PASSWORD: reg.password, ...extra };
}

/** One `extension pull` in a fresh repository of `m`. */
function pull(m: Machine, refs: string[], env: Record<string, string | undefined>, args: string[] = []): Promise<CliResult & { repo: string }> {
  const repo = makeRepo(path.join(box.root, `repo-${++counter}`));
  return cli(m, ['extension', 'pull', ...refs, '--repo-dir', repo, '--json', ...args], env).then((r) => ({ ...r, repo }));
}

function cli(m: Machine, args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  return runCli(args, {
    env: {
      SWAMP_STORE_DIR: m.store,
      SWAMP_CLUB_URL: swamp.url,
      SWAMP_API_KEY: undefined,
      SWAMP_REPO_DIR: undefined,
      SWAMP_STORE_REMOTE: undefined,
      SWAMP_STORE_REMOTE_USERNAME: undefined,
      SWAMP_STORE_REMOTE_PASSWORD: undefined,
      SWAMP_STORE_REMOTE_PUSH: undefined,
      DOCKER_CONFIG: path.join(box.root, 'no-docker-config'),
      ...env,
    },
  });
}

const pinned = (names: string[]): string[] => names.map((n) => `${n}@${VERSION}`);
const downloadsOf = (name: string): number => swamp.stats.downloadsBySha256[sums.get(name) as string] ?? 0;
const swampRequests = (): number => Object.values(swamp.stats.requests).reduce((a, b) => a + b, 0);
const warnings = (stderr: string): string[] => stderr.split('\n').filter((l) => /warning/i.test(l));

function sources(r: CliResult): Record<string, { source: string; pushed: boolean }> {
  expect(r.code, r.stderr).toBe(0);
  return Object.fromEntries((r.json.extensions as Array<{ name: string; source: string; pushed: boolean }>).map((e) => [e.name, { source: e.source, pushed: e.pushed }]));
}

async function expectVerified(m: Machine, repo: string): Promise<void> {
  const v = await cli(m, ['extension', 'verify', '--repo-dir', repo, '--json'], {});
  expect(v.code, v.stdout + v.stderr).toBe(0);
}

describe('three machines sharing one remote', () => {
  const names = NAMES.slice(0, 5);

  it('each archive leaves Swamp\'s registry once; the others fetch from the remote, which holds one manifest per name@version', async () => {
    const [a, b, c] = [machine(), machine(), machine()];
    const first = await pull(a, pinned(names), remoteEnv(shared));
    for (const n of names) expect(sources(first)[n]).toEqual({ source: 'registry', pushed: true });
    const second = await pull(b, pinned(names), remoteEnv(shared));
    for (const n of names) expect(sources(second)[n]).toEqual({ source: 'remote', pushed: false });
    // Unpinned names resolve their version at Swamp's registry, then come by digest from the remote.
    const third = await pull(c, names, remoteEnv(shared));
    for (const n of names) expect(sources(third)[n]).toEqual({ source: 'remote', pushed: false });
    for (const n of names) expect(downloadsOf(n)).toBe(1);
    for (const [m, r] of [[a, first], [b, second], [c, third]] as const) await expectVerified(m, r.repo);
    expect(shared.manifests()).toHaveLength(names.length);
    expect(shared.tags()).toHaveLength(names.length);
  });

  it('install from a lockfile asks the remote by the lockfile\'s checksum, without a request to Swamp\'s registry', async () => {
    const m = machine();
    const seeded = await pull(machine(), pinned(names), remoteEnv(shared));
    expect(seeded.code, seeded.stderr).toBe(0);
    const repo = makeRepo(path.join(box.root, `repo-${++counter}`));
    fs.mkdirSync(path.join(repo, 'extensions/models'), { recursive: true });
    fs.copyFileSync(path.join(seeded.repo, 'extensions/models/upstream_extensions.json'), path.join(repo, 'extensions/models/upstream_extensions.json'));
    const before = swampRequests();
    const r = await cli(m, ['extension', 'install', '--repo-dir', repo, '--json'], remoteEnv(shared));
    for (const n of names) expect(sources(r)[n]).toEqual({ source: 'remote', pushed: false });
    expect(swampRequests()).toBe(before);
    await expectVerified(m, repo);
  });

  it('survives the registry\'s own garbage-collect: a fresh machine still fetches everything from the remote', async () => {
    await shared.stop();
    const out = shared.garbageCollect();
    await shared.start();
    expect(out).toMatch(/blobs marked/);
    const before = names.map(downloadsOf);
    const r = await pull(machine(), pinned(names), remoteEnv(shared));
    for (const n of names) expect(sources(r)[n]?.source).toBe('remote');
    expect(names.map(downloadsOf)).toEqual(before);
  });

  it('with Swamp\'s registry unreachable, a pinned name@version still comes from the remote by its tag', async () => {
    const m = machine();
    const r = await pull(m, pinned([names[1] as string]), remoteEnv(shared, { SWAMP_CLUB_URL: 'http://127.0.0.1:1' }));
    expect(sources(r)[names[1] as string]).toEqual({ source: 'remote', pushed: false });
    expect(r.json.extensions[0].checksum).toBe(sums.get(names[1] as string));
    await expectVerified(m, r.repo);
  });

  it('a corrupted blob in the registry\'s storage is refused with a warning naming the remote and digest, and comes from Swamp\'s registry', async () => {
    const victim = names[0] as string;
    const sha = sums.get(victim) as string;
    const blob = shared.blobPath(sha);
    const bytes = fs.readFileSync(blob);
    const mid = bytes.length >> 1;
    bytes[mid] = (bytes[mid] as number) ^ 0xff;
    fs.writeFileSync(blob, bytes);
    const before = downloadsOf(victim);
    const m = machine();
    const r = await pull(m, pinned([victim]), remoteEnv(shared));
    expect(sources(r)[victim]?.source).toBe('registry');
    expect(downloadsOf(victim)).toBe(before + 1);
    const w = warnings(r.stderr);
    expect(w).toHaveLength(1);
    expect(w[0]).toContain(shared.url);
    expect(w[0]).toContain(`sha256:${sha}`);
    await expectVerified(m, r.repo);
  });
});

describe('a remote that fails is one warning, never a failed pull', () => {
  it('wrong password: pulls succeed through Swamp\'s registry with one warning line', async () => {
    const m = machine();
    const names = NAMES.slice(5, 8);
    const r = await pull(m, pinned(names), remoteEnv(shared, { SWAMP_STORE_REMOTE_PASSWORD: 'wrong' }));
    for (const n of names) expect(sources(r)[n]).toEqual({ source: 'registry', pushed: false });
    const w = warnings(r.stderr);
    expect(w, r.stderr).toHaveLength(1);
    expect(w[0]).toContain(shared.url);
    expect(w[0]).not.toContain('wrong');
    await expectVerified(m, r.repo);
  });

  it("without SWAMP_STORE_REMOTE_USERNAME, the credentials come from the auths entry of Docker's config.json in DOCKER_CONFIG", async () => {
    const dockerConfig = path.join(box.root, 'docker-config');
    const host = new URL(shared.url.replace(/^oci\+http/, 'http')).host;
    fs.mkdirSync(dockerConfig, { recursive: true });
    fs.writeFileSync(path.join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${shared.username}:${shared.password}`).toString('base64') } } }));
    const name = NAMES[9] as string;
    const r = await pull(machine(), pinned([name]), { SWAMP_STORE_REMOTE: shared.url, DOCKER_CONFIG: dockerConfig });
    expect(sources(r)[name]).toEqual({ source: 'registry', pushed: true });
    expect(warnings(r.stderr), r.stderr).toEqual([]);
  });

  it('registry stopped: pulls succeed through Swamp\'s registry with one warning line', async () => {
    await shared.stop();
    try {
      const m = machine();
      const names = NAMES.slice(5, 8);
      const r = await pull(m, pinned(names), remoteEnv(shared));
      for (const n of names) expect(sources(r)[n]?.source).toBe('registry');
      expect(warnings(r.stderr)).toHaveLength(1);
      await expectVerified(m, r.repo);
    } finally {
      await shared.start();
    }
  });

  it('a remote that stalls, one out of space and one that forbids: one warning line each, and the pull goes on', async () => {
    const stalled = http.createServer(() => undefined);
    const forbidden = http.createServer((_req, res) => res.writeHead(403).end());
    // No blobs, and every upload refused as a full disk would be (507 Insufficient Storage).
    const full = http.createServer((req, res) => {
      if (req.method === 'POST') return void res.writeHead(202, { location: '/v2/a/b/blobs/uploads/u1' }).end();
      req.resume();
      req.on('end', () => res.writeHead(req.method === 'PUT' ? 507 : 404).end());
    });
    await Promise.all([stalled, full, forbidden].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
    const url = (s: http.Server): string => `oci+http://127.0.0.1:${(s.address() as AddressInfo).port}/a/b`;
    try {
      const names = NAMES.slice(16, 18);
      const slow = await pull(machine(), pinned(names), { SWAMP_STORE_REMOTE: url(stalled), SWAMP_STORE_STALL_TIMEOUT_MS: '500' });
      for (const n of names) expect(sources(slow)[n]).toEqual({ source: 'registry', pushed: false });
      expect(warnings(slow.stderr), slow.stderr).toEqual([expect.stringContaining('stalled')]);
      const spaceless = await pull(machine(), pinned(names), { SWAMP_STORE_REMOTE: url(full) });
      for (const n of names) expect(sources(spaceless)[n]).toEqual({ source: 'registry', pushed: false });
      expect(warnings(spaceless.stderr), spaceless.stderr).toEqual([expect.stringContaining('HTTP 507')]);
      const refused = await pull(machine(), pinned(names), { SWAMP_STORE_REMOTE: url(forbidden) });
      for (const n of names) expect(sources(refused)[n]).toEqual({ source: 'registry', pushed: false });
      expect(warnings(refused.stderr), refused.stderr).toEqual([expect.stringMatching(/HTTP 403.*SWAMP_STORE_REMOTE_USERNAME/)]);
    } finally {
      stalled.closeAllConnections();
      await Promise.all([stalled, full, forbidden].map((s) => new Promise((r) => s.close(r))));
    }
  });

  it('--offline uses neither the remote nor Swamp\'s registry; a malformed --remote is a usage error; --remote overrides the variable', async () => {
    const m = machine();
    const warm = await pull(m, pinned([NAMES[8] as string]), {});
    expect(sources(warm)[NAMES[8] as string]?.source).toBe('registry');
    const before = swampRequests();
    const offline = await pull(m, pinned([NAMES[8] as string]), remoteEnv(shared, { SWAMP_STORE_REMOTE: 'oci+http://127.0.0.1:1/x/y' }), ['--offline']);
    expect(sources(offline)[NAMES[8] as string]?.source).toBe('store');
    expect(offline.stderr).toBe('');
    expect(swampRequests()).toBe(before);
    const bad = await pull(m, pinned([NAMES[8] as string]), {}, ['--remote', 'https://not-oci/x']);
    expect(bad.code).toBe(2);
    expect(bad.errorJson).toMatchObject({ code: 'E_USAGE' });
    const flag = await pull(machine(), pinned([NAMES[8] as string]), remoteEnv(shared, { SWAMP_STORE_REMOTE: 'oci+http://127.0.0.1:1/x/y' }), ['--remote', shared.url]);
    expect(sources(flag)[NAMES[8] as string]).toEqual({ source: 'registry', pushed: true });
    expect(flag.stderr).toBe('');
  });
});

describe('Bearer-token remote, read-only mode and cache push', () => {
  const names = NAMES.slice(10, 13);

  it('SWAMP_STORE_REMOTE_PUSH=0 reads through the remote and never writes to it', async () => {
    const r = await pull(machine(), pinned(names), remoteEnv(tokenRemote, { SWAMP_STORE_REMOTE_PUSH: '0' }));
    for (const n of names) expect(sources(r)[n]).toEqual({ source: 'registry', pushed: false });
    expect(tokenRemote.tags()).toEqual([]);
  });

  it('pushes and fetches through distribution\'s token auth (a token server with a test key pair)', async () => {
    const a = await pull(machine(), pinned(names), remoteEnv(tokenRemote));
    for (const n of names) expect(sources(a)[n]).toEqual({ source: 'registry', pushed: true });
    const b = await pull(machine(), pinned(names), remoteEnv(tokenRemote));
    for (const n of names) expect(sources(b)[n]).toEqual({ source: 'remote', pushed: false });
    expect(tokenRemote.token?.stats.tokens).toBeGreaterThan(0);
    expect(tokenRemote.manifests()).toHaveLength(names.length);
  });

  it('cache push seeds the remote from one store; a second push uploads nothing', async () => {
    const m = machine();
    const more = NAMES.slice(13, 16);
    const r = await pull(m, pinned(more), {});
    expect(r.code, r.stderr).toBe(0);
    const push = await cli(m, ['cache', 'push', '--all', '--json'], remoteEnv(tokenRemote));
    expect(push.code, push.stderr).toBe(0);
    expect(push.json.extensions.map((e: { name: string; pushed: boolean }) => [e.name, e.pushed]).sort()).toEqual(more.map((n) => [n, true]));
    const again = await cli(m, ['cache', 'push', more[0] as string, '--json'], remoteEnv(tokenRemote));
    expect(again.json.extensions).toEqual([expect.objectContaining({ name: more[0], pushed: false })]);
    const missing = await cli(m, ['cache', 'push', '@fleet/absent', '--json'], remoteEnv(tokenRemote));
    expect(missing.code).toBe(1);
    expect(missing.json.missing).toEqual(['@fleet/absent']);
    const fresh = await pull(machine(), pinned(more), remoteEnv(tokenRemote));
    for (const n of more) expect(sources(fresh)[n]?.source).toBe('remote');
  });
});

describe('a fleet against an empty remote', () => {
  it('4 machines x 8 processes x 20 names: each archive leaves Swamp\'s registry at most once per machine, one manifest per name@version, nothing fails', async () => {
    const before = new Map(NAMES.map((n) => [n, downloadsOf(n)]));
    const machines = [machine(), machine(), machine(), machine()];
    const runs = machines.flatMap((m) => Array.from({ length: 8 }, () => pull(m, pinned(NAMES), remoteEnv(fleetRemote))));
    const results = await Promise.all(runs);
    let pushed = 0;
    for (const r of results) {
      const s = sources(r);
      expect(Object.keys(s)).toHaveLength(NAMES.length);
      pushed += Object.values(s).filter((e) => e.pushed).length;
    }
    for (const n of NAMES) expect(downloadsOf(n) - (before.get(n) as number)).toBeLessThanOrEqual(machines.length);
    expect(pushed).toBeGreaterThanOrEqual(NAMES.length);
    expect(fleetRemote.manifests()).toHaveLength(NAMES.length);
    expect(fleetRemote.tags()).toHaveLength(NAMES.length);
    await expectVerified(machines[0] as Machine, results[0]?.repo as string);
  }, 180_000);
});
