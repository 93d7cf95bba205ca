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
  return Object.entries(entries)
    .map(([name, e]) => ({ name, version: e.version, checksum: e.checksum ?? null, files: e.files.length, pulledAt: e.pulledAt }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}
