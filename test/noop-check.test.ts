// The no-op install's record (worktree/src/noop-check.ts): a second `extension
// install` with nothing changed answers from it, and no change it rests on can
// make it answer "nothing to do" when there is something to do. Each case first
// makes the record current (two installs: the second must find it, with the
// same key), then changes one thing by hand, then installs through the CLI and
// checks the worktree against the archives' bytes.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.mjs';
import { useSandbox } from './helpers/sandbox.js';
import type { ExtensionSpec } from './helpers/archive-builder.mjs';
import { LOCKFILE_REL, checkWorktree, cliEnv, readLockfileJson, storeFile, writeSpec } from './fixtures/worktree-support.js';

const LONG = 120_000;
const RECORD = '.swamp/swamp-store/noop-check.json';
const box = useSandbox('noop-check-');
const specsBySum = new Map<string, ExtensionSpec>();

const A_BYTES = 'export const a = 1;\n';
const alpha: ExtensionSpec = { name: '@noop/alpha', version: '2026.10.01.1', files: { 'models/a.ts': A_BYTES, 'workflows/w.yaml': 'name: w\n', 'bundles/a.js': '/* a */\n' } };
const beta: ExtensionSpec = { name: '@noop/beta', version: '2026.10.01.1', files: { 'models/b.ts': 'export const b = 2;\n', 'reports/r.ts': 'r\n' } };
const A_FILE = '.swamp/pulled-extensions/@noop/alpha/models/a.ts';

const cli = (repo: string, ...args: string[]) => runCli([...args, '--repo-dir', repo, '--json'], { env: cliEnv(box.store) });

/** A worktree with both extensions pulled and the record written by a no-op install and used by a second one. */
async function settled(label: string): Promise<{ repo: string; sums: string[] }> {
  const repo = box.repo(label);
  const sums: string[] = [];
  const files: string[] = [];
  for (const spec of [alpha, beta]) {
    const w = await writeSpec(box.archives, spec);
    specsBySum.set(w.checksum, spec);
    sums.push(w.checksum);
    files.push(w.file);
  }
  const pulled = await cli(repo, 'extension', 'pull', ...files);
  expect(pulled.code, pulled.stderr).toBe(0);
  const first = await cli(repo, 'extension', 'install');
  expect(first.code, first.stderr).toBe(0);
  const record = JSON.parse(fs.readFileSync(path.join(repo, RECORD), 'utf8'));
  const second = await cli(repo, 'extension', 'install');
  expect(second.code, second.stderr).toBe(0);
  expect(second.json.extensions.map((e: { name: string }) => e.name)).toEqual(['@noop/alpha', '@noop/beta']);
  expect(linkedCount(second.json)).toBe(0);
  // The second install found the record current: it did not need to write it again.
  expect(JSON.parse(fs.readFileSync(path.join(repo, RECORD), 'utf8')).key).toBe(record.key);
  return { repo, sums };
}

async function installFixes(repo: string): Promise<Record<string, unknown>> {
  const r = await cli(repo, 'extension', 'install');
  expect(r.code, r.stderr).toBe(0);
  expect(checkWorktree(repo, specsBySum)).toEqual([]);
  return r.json;
}

const linkedCount = (json: Record<string, unknown>) =>
  (json.extensions as { linked: { hardlink: number; copy: number; reflink: number } }[]).reduce((n, e) => n + e.linked.hardlink + e.linked.copy + e.linked.reflink, 0);

describe('the no-op install record', () => {
  it('a file replaced by an equal copy (another inode) is linked again', async () => {
    const { repo } = await settled('copy');
    const file = path.join(repo, A_FILE);
    const bytes = fs.readFileSync(file);
    fs.rmSync(file);
    fs.writeFileSync(file, bytes, { mode: 0o444 });
    expect(linkedCount(await installFixes(repo))).toBe(1);
  }, LONG);

  it('a deleted file is put back, and a deleted empty folder made again', async () => {
    const { repo } = await settled('deleted');
    fs.rmSync(path.join(repo, A_FILE));
    fs.rmdirSync(path.join(repo, '.swamp/pulled-extensions/@noop/beta/vaults'));
    expect(linkedCount(await installFixes(repo))).toBe(1);
    expect(fs.statSync(path.join(repo, '.swamp/pulled-extensions/@noop/beta/vaults')).isDirectory()).toBe(true);
  }, LONG);

  it('a folder swapped for a symlink that leaves the repository is not taken for the folder', async () => {
    const { repo } = await settled('symlink');
    const dir = path.join(repo, '.swamp/pulled-extensions/@noop/beta/reports');
    const elsewhere = box.at('symlink-target');
    fs.renameSync(dir, elsewhere);
    fs.symlinkSync(elsewhere, dir);
    // Not "nothing to do": the full path looks, and refuses to write through the link.
    const r = await cli(repo, 'extension', 'install');
    expect(r.code, r.stdout).not.toBe(0);
    expect(r.stderr).toContain('"code":"E_UNSAFE_LOCKFILE"');
  }, LONG);

  it('an untracked file in an extension folder is removed', async () => {
    const { repo } = await settled('untracked');
    fs.writeFileSync(path.join(repo, '.swamp/pulled-extensions/@noop/alpha/models/stray.ts'), 'stray\n');
    await installFixes(repo);
    expect(fs.existsSync(path.join(repo, '.swamp/pulled-extensions/@noop/alpha/models/stray.ts'))).toBe(false);
  }, LONG);

  it('an entry removed from the lockfile by hand has its files removed', async () => {
    const { repo } = await settled('lockfile');
    const lock = readLockfileJson(repo);
    delete lock['@noop/beta'];
    fs.writeFileSync(path.join(repo, LOCKFILE_REL), `${JSON.stringify(lock, null, 2)}\n`);
    await installFixes(repo);
    expect(fs.existsSync(path.join(repo, '.swamp/pulled-extensions/@noop/beta/models/b.ts'))).toBe(false);
  }, LONG);

  it('a store file written through a link with its mtime put back (ctime moved, link count not) is caught, and the store repaired', async () => {
    const { repo, sums } = await settled('ctime');
    const sum = sums[0] as string;
    const storeCopy = storeFile(box.store, sum, 'ext/models/a.ts');
    const ref = box.at('ctime-ref');
    expect(spawnSync('cp', ['-p', storeCopy, ref]).status).toBe(0);
    fs.writeFileSync(path.join(repo, A_FILE), 'export const a = 9;\n'); // root writes through the 0444 link, same size
    expect(spawnSync('touch', ['-r', ref, path.join(repo, A_FILE)]).status).toBe(0);
    // Found (the record does not answer "nothing to do"): the written tree goes to quarantine and the
    // store gets a pristine one back (docs/swamp-writes-into-linked-worktree.md says who keeps what).
    const r = await cli(repo, 'extension', 'install');
    expect(r.stderr).toContain(`${A_FILE} (ctime changed)`);
    expect(fs.readFileSync(storeCopy, 'utf8')).toBe(A_BYTES);
    const quarantined = fs.readdirSync(path.join(box.store, 'v1/quarantine')).filter((n) => n.startsWith(`${sum}-tampered-`));
    expect(quarantined.map((q) => fs.readFileSync(path.join(box.store, 'v1/quarantine', q, 'ext/models/a.ts'), 'utf8'))).toContain('export const a = 9;\n');
  }, LONG);
});
