// Issue 10 items 1 and 2, through the CLI: the lockfile is written in Swamp's
// order (names as given, each dependency right after the extension that needs
// it) whatever the timing, and dependencies resolve by Swamp's rules, with a
// clean E_NOT_FOUND when one is missing from the registry.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistryServer, type RegistryServer } from '@swamp-store/registry/server';
import { buildExtensionArchive, writeArchive } from './helpers/archive-builder.mjs';
import { makeRepo, runCli, type CliResult } from './helpers/cli.mjs';
import { useSandbox } from './helpers/sandbox.js';
import { generateExtension } from './helpers/sample-corpus.mjs';

const LOCKFILE = 'extensions/models/upstream_extensions.json';

const box = useSandbox('swamp-store-order-');
let registryDir: string;
let registry: RegistryServer;
let counter = 0;

async function publish(name: string, version: string, opts: { channel?: 'beta' | 'rc'; dependencies?: string[]; files?: number } = {}): Promise<void> {
  const spec = generateExtension({ name, version, files: opts.files ?? 6, bytes: 12_000, ...(opts.dependencies ? { dependencies: opts.dependencies } : {}) });
  const folder = opts.channel ? path.join(registryDir, opts.channel) : registryDir;
  await writeArchive(folder, `${name.slice(1).replace(/\//g, '-')}-${version}.tar.gz`, buildExtensionArchive(spec));
}

beforeAll(async () => {
  registryDir = path.join(box.root, 'registry');
  // Sizes differ on purpose, so that the pulls finish in different orders.
  await publish('@o/big', '2026.08.01.1', { files: 60, dependencies: ['@o/lib', '@o/util'] });
  await publish('@o/lib', '2026.08.01.1', { files: 3, dependencies: ['@o/base'] });
  await publish('@o/util', '2026.08.01.1', { files: 2 });
  await publish('@o/base', '2026.08.01.1', { files: 1 });
  await publish('@o/small', '2026.08.01.1', { files: 1 });
  await publish('@o/mid', '2026.08.01.1', { files: 20, dependencies: ['@o/util'] });
  // Dependency rules
  await publish('@d/stable', '2026.08.01.1');
  await publish('@d/stable', '2026.08.09.1', { channel: 'beta' });
  await publish('@d/betaonly', '2026.08.02.1', { channel: 'beta' });
  await publish('@d/betaonly', '2026.08.01.1', { channel: 'rc' });
  await publish('@d/rconly', '2026.08.03.1', { channel: 'rc' });
  await publish('@d/exact', '2026.08.01.1');
  await publish('@d/exact', '2026.08.05.1');
  await publish('@d/app', '2026.08.01.1', { dependencies: ['@d/stable@^2026.01.01.1', '@d/betaonly', '@d/rconly', '@d/exact@2026.08.01.1'] });
  await publish('@d/orphan', '2026.08.01.1', { dependencies: ['@d/nowhere'] });
  await publish('@d/old', '2026.08.01.1', { dependencies: ['@d/exact'] });
  registry = await startRegistryServer({ dir: registryDir });
});

afterAll(async () => {
  await registry?.close();
});

function fresh(store?: string): { repo: string; store: string } {
  const n = ++counter;
  return { repo: makeRepo(path.join(box.root, `repo-${n}`)), store: store ?? path.join(box.root, `store-${n}`) };
}

function cli(args: string[], ctx: { repo: string; store: string }): Promise<CliResult> {
  return runCli([...args, '--repo-dir', ctx.repo, '--json'], {
    env: { SWAMP_STORE_DIR: ctx.store, SWAMP_CLUB_URL: registry.url, SWAMP_API_KEY: undefined, SWAMP_REPO_DIR: undefined },
  });
}

const lockText = (repo: string) => fs.readFileSync(path.join(repo, LOCKFILE), 'utf8');
const lockfile = (repo: string) => JSON.parse(lockText(repo)) as Record<string, Record<string, unknown>>;
const withoutPulledAt = (text: string) => text.replace(/"pulledAt": "[^"]*"/g, '"pulledAt": "-"');

describe('lockfile order', () => {
  it('is the order the names were given, each dependency right after the extension that needs it, byte-identical across concurrent worktrees', async () => {
    const store = path.join(box.root, 'shared-store');
    const ctxs = Array.from({ length: 5 }, () => fresh(store));
    const names = ['@o/small', '@o/big', '@o/mid'];
    // Five worktrees at once, one shared store: extractions, waits and hits interleave differently in each.
    const results = await Promise.all(ctxs.map((c) => cli(['extension', 'pull', ...names], c)));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const expected = ['@o/small', '@o/big', '@o/lib', '@o/base', '@o/util', '@o/mid'];
    const texts = ctxs.map((c) => withoutPulledAt(lockText(c.repo)));
    for (const t of texts) expect(Object.keys(JSON.parse(t))).toEqual(expected);
    expect(new Set(texts).size).toBe(1);
    // The JSON report follows the same order.
    expect(results[0]?.json.extensions.map((e: { name: string }) => e.name)).toEqual(expected);
  });

  it('keeps existing entries where they are and appends new ones, as Swamp writes', async () => {
    const ctx = fresh();
    expect((await cli(['extension', 'pull', '@o/util'], ctx)).code).toBe(0);
    expect((await cli(['extension', 'pull', '@o/small', '@o/mid'], ctx)).code).toBe(0);
    // @o/util is a dependency of @o/mid that the lockfile already has: skipped, and it keeps its place.
    expect(Object.keys(lockfile(ctx.repo))).toEqual(['@o/util', '@o/small', '@o/mid']);
  });
});

describe("Swamp's dependency rules", () => {
  it('a constraint or bare name takes the latest stable, else beta, else rc (recording the channel); an exact version is honoured', async () => {
    const ctx = fresh();
    const r = await cli(['extension', 'pull', '@d/app'], ctx);
    expect(r.code, r.stderr).toBe(0);
    const lock = lockfile(ctx.repo);
    expect(Object.keys(lock)).toEqual(['@d/app', '@d/stable', '@d/betaonly', '@d/rconly', '@d/exact']);
    expect(lock['@d/stable']).toMatchObject({ version: '2026.08.01.1' });
    expect(lock['@d/stable']?.channel).toBeUndefined();
    expect(lock['@d/betaonly']).toMatchObject({ version: '2026.08.02.1', channel: 'beta' });
    expect(lock['@d/rconly']).toMatchObject({ version: '2026.08.03.1', channel: 'rc' });
    expect(lock['@d/exact']).toMatchObject({ version: '2026.08.01.1' });
    expect((await cli(['extension', 'verify'], ctx)).json).toMatchObject({ ok: true });
  });

  it('skips a dependency the lockfile already has, at any version', async () => {
    const ctx = fresh();
    expect((await cli(['extension', 'pull', '@d/exact@2026.08.01.1'], ctx)).code).toBe(0);
    const r = await cli(['extension', 'pull', '@d/old'], ctx);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.extensions.map((e: { name: string }) => e.name)).toEqual(['@d/old']);
    expect(lockfile(ctx.repo)['@d/exact']).toMatchObject({ version: '2026.08.01.1' });
  });

  it('a dependency missing from the registry: E_NOT_FOUND naming both, exit 1, no stack, the parent installed and verify clean', async () => {
    const ctx = fresh();
    const r = await cli(['extension', 'pull', '@d/orphan'], ctx);
    expect(r.code).toBe(1);
    expect(r.errorJson).toMatchObject({ code: 'E_NOT_FOUND' });
    expect(r.errorJson.error).toContain('@d/nowhere');
    expect(r.errorJson.error).toContain('@d/orphan');
    expect(r.stderr).not.toMatch(/\n\s+at |UnhandledPromiseRejection|unhandled/i);
    expect(Object.keys(lockfile(ctx.repo))).toEqual(['@d/orphan']);
    const verify = await cli(['extension', 'verify'], ctx);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.json).toMatchObject({ ok: true, problems: [] });
    // Without --json too: one Error line, no trace.
    const human = await runCli(['extension', 'pull', '@d/orphan', '--repo-dir', ctx.repo], {
      env: { SWAMP_STORE_DIR: ctx.store, SWAMP_CLUB_URL: registry.url, SWAMP_API_KEY: undefined, SWAMP_REPO_DIR: undefined },
    });
    expect(human.code).toBe(1);
    expect(human.stderr).toMatch(/^Error: .*@d\/nowhere.*@d\/orphan/m);
    expect(human.stderr).not.toMatch(/\n\s+at /);
  });
});
