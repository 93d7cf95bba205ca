import fs from 'node:fs/promises';
import path from 'node:path';
import { readLockfile } from './lockfile.js';
import type { RepoContext } from './repo.js';
import { recoverIfNeeded } from './recover.js';

export interface ListedExtension {
  name: string;
  version: string;
  checksum: string | null;
  files: number;
  pulledAt: string;
}

export async function listExtensions(repo: RepoContext): Promise<ListedExtension[]> {
  await recoverIfNeeded(repo);
  const { entries } = await readLockfile(repo.lockfilePath);
  const listed = await Promise.all(
    Object.entries(entries).map(async ([name, e]) => ({ name, version: e.version, checksum: e.checksum ?? null, files: await fileCount(repo, e.files), pulledAt: e.pulledAt })),
  );
  return listed.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/**
 * Files as `pull` counts them. Swamp's lockfile lists each installed skill as
 * one folder path per skills dir; its files are counted one by one, so that
 * `list` and `pull` agree on the number for the same extension.
 */
async function fileCount(repo: RepoContext, files: readonly string[]): Promise<number> {
  let n = 0;
  for (const f of files) {
    const skillDir = repo.skillsDirs.some((d) => f.startsWith(`${d}/`) && !f.slice(d.length + 1).includes('/'));
    n += skillDir ? await filesUnder(path.join(repo.repoDir, f)) : 1;
  }
  return n;
}

async function filesUnder(dir: string): Promise<number> {
  let items;
  try {
    items = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  let n = 0;
  for (const item of items) n += item.isDirectory() ? await filesUnder(path.join(dir, item.name)) : 1;
  return n;
}
