import type { Store } from '@swamp-store/store';
import type { RepoContext } from '@swamp-store/worktree';
import type { CommandOptions } from './main.js';

/** The store named by SWAMP_STORE_DIR or the per-user default. */
export async function openStoreFromEnv(): Promise<Store> {
  const { openStore } = await import('@swamp-store/store');
  return openStore({ env: process.env });
}

/** The repository: --repo-dir, else SWAMP_REPO_DIR, else found from the working directory. */
export async function openRepo(opts: CommandOptions): Promise<RepoContext> {
  const { resolveRepo } = await import('@swamp-store/worktree');
  return resolveRepo({ repoDir: typeof opts.repoDir === 'string' ? opts.repoDir : undefined, cwd: process.cwd(), env: process.env });
}

export function registryUrl(opts: CommandOptions): string {
  const fromFlag = typeof opts.registry === 'string' ? opts.registry : undefined;
  return (fromFlag ?? process.env.SWAMP_CLUB_URL ?? 'https://swamp-club.com').replace(/\/+$/, '');
}

/** Human-readable byte counts for reports. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
