import type { Store } from '@swamp-store/store';
import type { RepoContext } from '@swamp-store/worktree';
import type { RemoteCache } from '@swamp-store/registry';
import type { CommandOptions } from './command-options.js';
import path from 'node:path';
import { CliError } from './errors.js';
import type { Output } from './output.js';
import { settings } from './settings.js';
import { noteStoreRoot } from './store-errors.js';
import { onInterruptAbandonTransaction, onInterruptDiscardStoreWork } from './signals.js';

/**
 * The store folder: SWAMP_STORE_DIR (absolute: a relative one would silently
 * make a separate store in every working folder) or the per-user default.
 */
export async function storeRootFromEnv(): Promise<string> {
  const dir = settings().storeDir;
  if (dir && !path.isAbsolute(dir)) {
    throw new CliError('E_USAGE', `SWAMP_STORE_DIR must be an absolute path, not '${dir}'.`, `Use an absolute path, e.g. SWAMP_STORE_DIR="$PWD/${dir}", or unset it for the per-user default.`);
  }
  const { defaultStoreRoot } = await import('@swamp-store/store');
  const root = dir ? path.resolve(dir) : defaultStoreRoot({ xdgCacheHome: settings().xdgCacheHome, localAppData: settings().localAppData });
  noteStoreRoot(root);
  return root;
}

/**
 * The store, looked at first: a folder that cannot be used is E_STORE (never an
 * empty store), and one this user cannot write serves what it holds read-only.
 */
export async function openStoreFromEnv(): Promise<Store> {
  const root = await storeRootFromEnv();
  const { openStore, probeStore, discardOwnWorkSync } = await import('@swamp-store/store');
  const access = await probeStore(root);
  const store = openStore({ root, readOnly: access === 'read-only' });
  onInterruptDiscardStoreWork(() => discardOwnWorkSync(store));
  return store;
}

/** The repository: --repo-dir, else SWAMP_REPO_DIR, else found from the working directory. */
export async function openRepo(opts: CommandOptions): Promise<RepoContext> {
  const { resolveRepo, abandonOwnTransactionSync } = await import('@swamp-store/worktree');
  const repo = await resolveRepo({ repoDir: typeof opts.repoDir === 'string' ? opts.repoDir : undefined, cwd: process.cwd(), settings: settings() });
  onInterruptAbandonTransaction(repo.repoDir, () => abandonOwnTransactionSync(repo.repoDir));
  return repo;
}

/** --registry, else SWAMP_CLUB_URL (from the settings table), else the default. */
export function registryUrl(opts: CommandOptions): string {
  const fromFlag = typeof opts.registry === 'string' ? opts.registry : undefined;
  return (fromFlag ?? settings().registryUrl).replace(/\/+$/, '');
}

export { formatBytes } from './format.js';

/**
 * The fleet's shared cache: --remote, else SWAMP_STORE_REMOTE; none offline or when unset.
 * A malformed URL is a usage error here, before anything is fetched; everything
 * the remote does later is at most a warning (it is a cache).
 */
export async function openRemote(opts: CommandOptions, out: Output): Promise<RemoteCache | undefined> {
  if (opts.offline) return undefined;
  const url = typeof opts.remote === 'string' ? opts.remote : settings().remote;
  if (!url) return undefined;
  const [{ parseRemoteUrl, isOciError }, { RemoteCache }] = await Promise.all([import('@swamp-store/oci'), import('@swamp-store/registry')]);
  try {
    parseRemoteUrl(url);
  } catch (err) {
    if (isOciError(err)) throw new CliError('E_USAGE', `${err.message}${typeof opts.remote === 'string' ? '' : ' (SWAMP_STORE_REMOTE)'}`, err.remedy);
    throw err;
  }
  // A cache that stalls costs more than it saves: never wait on it longer than on Swamp's registry.
  const stallTimeoutMs = Math.min(10_000, settings().stallTimeoutMs);
  const credentials = { username: settings().remoteUsername, password: settings().remotePassword, dockerConfig: settings().dockerConfig };
  return new RemoteCache({ url, push: settings().remotePush, credentials, stallTimeoutMs, onWarning: (line) => out.warn(line) });
}
