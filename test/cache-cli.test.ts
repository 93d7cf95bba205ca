// `cache ls`, `cache verify`, `cache gc` and automatic gc, driven through the
// built CLI as separate processes, as users and agents run them.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildExtensionArchive } from './helpers/archive-builder.mjs';
import { ROOT, makeRepo, runCli } from './helpers/cli.mjs';
import { useSandbox } from './helpers/sandbox.js';

const box = useSandbox('swamp-cache-cli-');
let n = 0;
let spawnLogs = 0;

interface Case {
  dir: string;
  storeDir: string;
  run: (args: string[], env?: Record<string, string>) => ReturnType<typeof runCli>;
  archive: (name: string, version: string, bigBytes?: number) => string;
  repo: (label: string) => string;
}

function fresh(): Case {
  const dir = path.join(box.root, `case-${++n}`);
  const storeDir = path.join(dir, 'store');
  fs.mkdirSync(dir, { recursive: true });
  return {
    dir,
    storeDir,
    run: (args, env = {}) => runCli([...args, '--json'], { cwd: dir, env: { SWAMP_STORE_DIR: storeDir, SWAMP_STORE_AUTO_GC: undefined, ...env } }),
    archive: (name, version, bigBytes = 1000) => {
      const file = path.join(dir, 'archives', `${name.replace(/[@/]/g, '_')}-${version}.tar.gz`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const big = Buffer.alloc(bigBytes, 'swamp '); // compresses well: the archive is small, the tree is not
      fs.writeFileSync(file, buildExtensionArchive({ name, version, files: { 'models/main.ts': `export const v = '${version}';\n`, 'files/big.bin': big } }));
      return file;
    },
    repo: (label) => makeRepo(path.join(dir, label)),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The one content file of a store holding one archive. */
function onlyContentFile(storeDir: string): string {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else found.push(p);
    }
  };
  walk(path.join(storeDir, 'v1', 'cas', 'content-v2'));
  expect(found).toHaveLength(1);
  return found[0] as string;
}

function flipByte(file: string, at: number): void {
  const mode = fs.statSync(file).mode & 0o777;
  fs.chmodSync(file, 0o644);
  const fd = fs.openSync(file, 'r+');
  const buf = Buffer.alloc(1);
  fs.readSync(fd, buf, 0, 1, at);
  buf[0] = (buf[0] as number) ^ 0xff;
  fs.writeSync(fd, buf, 0, 1, at);
  fs.closeSync(fd);
  fs.chmodSync(file, mode);
}

describe('cache ls', () => {
  it('counts one extension in 4 worktrees about once in physical bytes', async () => {
    const c = fresh();
    const archive = c.archive('@ls/big', '2026.01.01.1', 512 * 1024);
    for (let i = 0; i < 4; i++) {
      const r = await c.run(['extension', 'pull', archive, '--repo-dir', c.repo(`wt-${i}`)]);
      expect(r.code, r.stderr).toBe(0);
    }
    const ls = await c.run(['cache', 'ls']);
    expect(ls.code, ls.stderr).toBe(0);
    const { trees, archives, roots, logicalBytes, physicalBytes } = ls.json;
    expect(trees).toHaveLength(1);
    expect(archives).toHaveLength(1);
    expect(roots).toHaveLength(4);
    const once = trees[0].bytes + archives[0].bytes;
    console.log(`cache ls: 4 worktrees of one extension: logical ${logicalBytes} B, physical ${physicalBytes} B, one copy ${once} B`);
    expect(logicalBytes).toBeGreaterThanOrEqual(5 * trees[0].bytes);
    expect(physicalBytes).toBeGreaterThanOrEqual(once);
    expect(physicalBytes).toBeLessThan(1.1 * once); // only bundle copies (none here) may add to it
  });
});

describe('cache gc', () => {
  it('drops the root of a worktree deleted by hand and collects its trees', async () => {
    const c = fresh();
    const kept = c.archive('@gc/kept', '2026.01.01.1');
    const lost = c.archive('@gc/lost', '2026.01.01.1');
    const stays = c.repo('stays');
    const gone = c.repo('gone');
    expect((await c.run(['extension', 'pull', kept, '--repo-dir', stays])).code).toBe(0);
    const pulled = await c.run(['extension', 'pull', lost, kept, '--repo-dir', gone]);
    expect(pulled.code, pulled.stderr).toBe(0);
    const lostSum = pulled.json.extensions.find((e: { name: string }) => e.name === '@gc/lost').checksum;
    fs.rmSync(gone, { recursive: true });
    await sleep(1100);
    const r = await c.run(['cache', 'gc', '--max-age', '0', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.removed.roots).toEqual([fs.realpathSync(c.dir) + '/gone']);
    expect(r.json.removed.trees).toEqual([lostSum]);
    expect(r.json.removed.archives).toEqual([lostSum]);
    expect(r.json.kept).toEqual({ trees: 1, archives: 1 });
    expect((await c.run(['extension', 'verify', '--repo-dir', stays])).code).toBe(0);
  });

  it('refuses a malformed --max-age as a usage error', async () => {
    const c = fresh();
    const r = await c.run(['cache', 'gc', '--max-age', 'soon', '--yes']);
    expect(r.code).toBe(2);
    expect(r.errorJson).toMatchObject({ code: 'E_USAGE' });
    expect(r.stdout).toBe('');
  });

  it('--dry-run lists what would go and removes nothing', async () => {
    const c = fresh();
    const wt = c.repo('wt');
    const pulled = await c.run(['extension', 'pull', c.archive('@gc/dry', '2026.01.01.1'), '--repo-dir', wt]);
    expect((await c.run(['extension', 'rm', '@gc/dry', '--yes', '--repo-dir', wt])).code).toBe(0);
    await sleep(1100);
    const dry = await c.run(['cache', 'gc', '--dry-run', '--max-age', '0s']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json).toMatchObject({ dryRun: true, removed: { trees: [pulled.json.extensions[0].checksum] } });
    const ls = await c.run(['cache', 'ls']);
    expect(ls.json.trees).toHaveLength(1);
  });
});

describe('cache verify', () => {
  it('finds a flipped byte in a tree file and --repair re-extracts it', async () => {
    const c = fresh();
    const wt = c.repo('wt');
    const pulled = await c.run(['extension', 'pull', c.archive('@v/tree', '2026.01.01.1'), '--repo-dir', wt]);
    const sum = pulled.json.extensions[0].checksum;
    const file = path.join(c.storeDir, 'v1', 'trees', sum, 'ext', 'files', 'big.bin');
    flipByte(file, 100);
    const found = await c.run(['cache', 'verify']);
    expect(found.code).toBe(1);
    expect(found.json).toEqual({ ok: false, problems: [{ checksum: sum, path: file, problem: 'modified' }], repaired: [] });
    const fixed = await c.run(['cache', 'verify', '--repair']);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.json.repaired).toEqual([sum]);
    expect((await c.run(['cache', 'verify'])).json).toEqual({ ok: true, problems: [], repaired: [] });
  });

  it('finds a flipped byte in an archive; --repair removes it and the next pull fetches it again', async () => {
    const c = fresh();
    const wt = c.repo('wt');
    const archive = c.archive('@v/archive', '2026.01.01.1');
    const pulled = await c.run(['extension', 'pull', archive, '--repo-dir', wt]);
    const sum = pulled.json.extensions[0].checksum;
    const content = onlyContentFile(c.storeDir);
    flipByte(content, 50);
    const found = await c.run(['cache', 'verify']);
    expect(found.code).toBe(1);
    expect(found.json.problems).toEqual([{ checksum: sum, path: content, problem: 'corrupt' }]);
    const fixed = await c.run(['cache', 'verify', '--repair']);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.json.repaired).toEqual([sum]);
    expect((await c.run(['cache', 'ls'])).json.archives).toEqual([]);
    const again = await c.run(['extension', 'pull', archive, '--repo-dir', c.repo('wt2')]);
    expect(again.code, again.stderr).toBe(0);
    expect((await c.run(['cache', 'ls'])).json.archives.map((a: { checksum: string }) => a.checksum)).toEqual([sum]);
    expect((await c.run(['cache', 'verify'])).json.ok).toBe(true);
  });
});

describe('automatic gc', () => {
  /** A temp root left by a process that has exited: any gc removes it, whatever the grace period. */
  function plantDeadTempRoot(storeDir: string): string {
    const dir = path.join(storeDir, 'v1', 'temp-roots');
    fs.mkdirSync(dir, { recursive: true });
    const pid = spawnSync(process.execPath, ['-e', '0']).pid; // has exited: certainly dead
    const file = path.join(dir, `${os.hostname()}-${pid}-0badf00d.json`);
    fs.writeFileSync(file, JSON.stringify({ pid, host: os.hostname(), startedAt: Date.now(), command: 'x', digests: [] }));
    return file;
  }

  async function waitGone(file: string, ms: number): Promise<boolean> {
    for (const until = Date.now() + ms; Date.now() < until; await sleep(100)) if (!fs.existsSync(file)) return true;
    return false;
  }

  /**
   * Runs a command with the spawn recorder preloaded and returns the `cache gc`
   * children it started. Once the command has exited the record is complete,
   * so "no gc started" needs no waiting.
   */
  async function runRecorded(c: Case, args: string[], env: Record<string, string> = {}) {
    const log = path.join(c.dir, `spawns-${++spawnLogs}.jsonl`);
    const recorder = pathToFileURL(path.join(ROOT, 'test/fixtures/record-spawns.mjs')).href;
    const r = await c.run(args, { ...env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${recorder}`.trim(), SWAMP_TEST_SPAWN_LOG: log });
    const spawns = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { args: string[] }) : [];
    return { r, gcs: spawns.filter((s) => s.args.includes('cache') && s.args.includes('gc')) };
  }

  it('is off by default', async () => {
    const c = fresh();
    const r = await c.run(['extension', 'pull', c.archive('@auto/off', '2026.01.01.1'), '--repo-dir', c.repo('wt')]);
    expect(r.code, r.stderr).toBe(0);
    const planted = plantDeadTempRoot(c.storeDir);
    const second = await runRecorded(c, ['extension', 'pull', c.archive('@auto/off2', '2026.01.01.1'), '--repo-dir', c.repo('wt')]);
    expect(second.r.code, second.r.stderr).toBe(0);
    expect(second.gcs).toEqual([]);
    expect(fs.existsSync(planted)).toBe(true);
    expect(fs.existsSync(path.join(c.storeDir, 'v1', 'state', 'last-auto-gc'))).toBe(false);
  });

  it('with SWAMP_STORE_AUTO_GC=1 starts a detached gc after a pull, at most once a day', async () => {
    const c = fresh();
    const wt = c.repo('wt');
    const first = c.archive('@auto/on', '2026.01.01.1');
    expect((await c.run(['extension', 'pull', first, '--repo-dir', wt])).code).toBe(0);
    const planted = plantDeadTempRoot(c.storeDir);
    const { r, gcs } = await runRecorded(c, ['extension', 'pull', c.archive('@auto/on2', '2026.01.01.1'), '--repo-dir', wt], { SWAMP_STORE_AUTO_GC: '1' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.extensions).toHaveLength(1); // stdout is still exactly the pull's document
    expect(gcs).toHaveLength(1);
    expect(fs.existsSync(path.join(c.storeDir, 'v1', 'state', 'last-auto-gc'))).toBe(true);
    expect(await waitGone(planted, 30_000)).toBe(true);
    // Within the day: no second gc.
    const again = plantDeadTempRoot(c.storeDir);
    const next = await runRecorded(c, ['extension', 'pull', first, '--repo-dir', wt], { SWAMP_STORE_AUTO_GC: '1' });
    expect(next.r.code, next.r.stderr).toBe(0);
    expect(next.gcs).toEqual([]);
    expect(fs.existsSync(again)).toBe(true);
  });
});
