// Shared by the gc, verify and ls tests: real stores with real archives, and
// real child processes standing in for running commands.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ensureTree, ingest, openStore, registerRoot, treeDir, type RootRecord, type Store } from '../src/index.js';
import { buildExtensionArchive } from '../../../test/helpers/archive-builder.mjs';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

export async function tempDir(label: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `swamp-gc-${label}-`));
}

export function storeIn(dir: string): Store {
  return openStore({ root: path.join(dir, 'store') });
}

export function archiveBytes(name: string, version: string, body = `export const v = '${name}@${version}';\n`): Buffer {
  return buildExtensionArchive({ name, version, files: { 'models/main.ts': body, 'files/data.txt': `${name} ${version}\n`.repeat(50) } });
}

/** Ingests and unpacks one extension; returns its checksum. */
export async function addExtension(store: Store, name: string, version: string): Promise<string> {
  const info = await ingest(store, archiveBytes(name, version), { sourceKey: `file:/fixtures/${name}@${version}`, name, version });
  await ensureTree(store, info.sha256);
  return info.sha256;
}

export async function exists(p: string): Promise<boolean> {
  return fs.lstat(p).then(
    () => true,
    () => false,
  );
}

/** Backdates a tree's last use (its folder's mtime), as if nobody had linked it for `ms`. */
export async function ageTree(store: Store, sha256: string, ms: number): Promise<void> {
  const t = new Date(Date.now() - ms);
  await fs.utimes(treeDir(store.layout, sha256), t, t);
}

/**
 * A worktree as gc sees it, without the worktree package: a folder and a
 * "lockfile" that is a JSON list of the digests it needs. `liveDigestsOf`
 * below reads it the way the real one reads a Swamp lockfile.
 */
export async function fakeWorktree(store: Store, dir: string, digests: string[]): Promise<RootRecord> {
  await fs.mkdir(dir, { recursive: true });
  const lockfilePath = path.join(dir, 'needs.json');
  await fs.writeFile(lockfilePath, JSON.stringify(digests));
  await registerRoot(store, { repoDir: dir, lockfilePath });
  return { repoDir: dir, lockfilePath, registeredAt: new Date().toISOString() };
}

export async function liveDigestsOf(root: RootRecord): Promise<Set<string> | 'gone'> {
  if (!(await exists(root.repoDir))) return 'gone';
  const text = await fs.readFile(root.lockfilePath, 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? '[]' : Promise.reject(err)));
  return new Set(JSON.parse(text) as string[]);
}

/** A pid that is certainly dead: a child that has already exited. */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  const pid = child.pid as number;
  await new Promise((resolve) => child.on('exit', resolve));
  return pid;
}

export interface PinHolder {
  proc: ChildProcess;
  pid: number;
  file: string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** A separate process holding a temp root on `digests`, alive until killed. */
export async function spawnPinHolder(store: Store, digests: string[]): Promise<PinHolder> {
  const proc = spawn(process.execPath, [path.join(FIXTURES, 'gc-pin-holder.mjs'), store.layout.root, digests.join(',')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
    rl.once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`pin holder exited (${code}): ${stderr}`)));
  });
  const msg = JSON.parse(line) as { pid: number; file: string };
  return {
    proc,
    pid: msg.pid,
    file: msg.file,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
