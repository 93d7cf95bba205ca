import { withLock, type LockOptions } from '@swamp-store/lock';
import {
  StoreError,
  downloadLockPath,
  ensureLayout,
  findArchive,
  ingest,
  lookupVersion,
  recordVersion,
  reportProgress,
  type ArchiveInfo,
  type Store,
} from '@swamp-store/store';
import type { RegistryClient } from './client.js';
import { RegistryError } from './errors.js';
import { noteDownload, recentDownload } from './recent-download.js';
import type { RemoteCache } from './remote-cache.js';
import type { Channel } from './versions.js';

export type FetchProgress =
  | { phase: 'resolved'; version: string }
  | { phase: 'download'; received: number; total: number | undefined };

export interface FetchFromRegistryOptions {
  store: Store;
  client: RegistryClient;
  name: string;
  /** Exact version; without it the newest on `channel` is asked for. */
  version?: string;
  /** `beta` / `rc` pass `?channel=`; default stable. */
  channel?: Channel;
  /** No network: only an explicit version already recorded in the store resolves. */
  offline?: boolean;
  onProgress?: (p: FetchProgress) => void;
  /** Passed to the per-download lock (its timeout defaults to SWAMP_STORE_LOCK_TIMEOUT_MS). */
  lock?: LockOptions;
  /** The fleet's shared cache, asked after the store and before Swamp's registry. */
  remote?: RemoteCache | undefined;
  /** The checksum the caller already trusts (a lockfile entry's): the remote is asked by it before Swamp's registry is. */
  expectedSha256?: string | undefined;
}

/** Where the bytes came from: this store, the remote cache, or Swamp's registry. */
export type FetchSource = 'store' | 'remote' | 'registry';

export interface FetchResult {
  name: string;
  version: string;
  /** `beta` or `rc` when asked for; absent for stable, as in Swamp's lockfile. */
  channel?: Channel;
  /** Swamp's checksum of the archive (hex sha256). */
  sha256: string;
  /** True only when this process fetched the bytes over the network. */
  downloaded: boolean;
  /**
   * True when the bytes match a checksum the registry published. False when the
   * registry had none (Swamp calls such installs unverified). Offline, true: the
   * bytes are the ones recorded for this version, and cacache re-checks them on read.
   */
  verified: boolean;
  /** The registry base URL (Swamp's lockfile `serverUrl`). */
  serverUrl: string;
  info: ArchiveInfo;
  source: FetchSource;
  /** True when this process uploaded the archive to the remote. */
  pushed: boolean;
}

/**
 * Store first: ask the registry for the checksum, and download only when the
 * store lacks those bytes. Downloads of one name@version are serialised across
 * processes by a lock, and the store is checked again under it, so N agents
 * pulling the same version at once download it once.
 */
export async function fetchFromRegistry(opts: FetchFromRegistryOptions): Promise<FetchResult> {
  const { store, client, name, remote } = opts;
  const channel = opts.channel && opts.channel !== 'stable' ? opts.channel : undefined;
  const base = { name, ...(channel && { channel }), serverUrl: client.baseUrl };

  if (opts.offline) return fetchOffline(opts, base);
  const startedAt = Date.now();

  // A lockfile's checksum is enough to ask the remote: Swamp's registry is not needed at all.
  if (remote && opts.version && opts.expectedSha256) {
    const got = await viaRemote(opts, base, opts.version, opts.expectedSha256);
    if (got) return got;
  }

  const version = opts.version ?? (await client.latest(name, channel)).version;
  opts.onProgress?.({ phase: 'resolved', version });
  let checksum: string | null;
  try {
    checksum = await client.checksum(name, version, channel);
  } catch (err) {
    // Swamp's registry is unreachable: a pinned version may still be on the remote under its tag.
    const got = remote && opts.version && err instanceof RegistryError && err.code === 'E_NETWORK' ? await viaRemote(opts, base, version, null) : undefined;
    if (got) return got;
    throw err;
  }

  const hit = async (): Promise<FetchResult | undefined> => {
    const have = checksum ? await findArchive(store, checksum) : undefined;
    if (!have) return undefined;
    const info = { ...have, name, version };
    await recordVersion(store, name, version, info);
    return { ...base, version, sha256: have.sha256, downloaded: false, verified: true, info, source: 'store', pushed: false };
  };

  const early = await hit();
  if (early) return early;

  await ensureLayout(store);
  const key = `${name}@${version}`;
  const result = await withLock(
    downloadLockPath(store.layout, key),
    async (): Promise<FetchResult> => {
      const late = await hit();
      if (late) return late;
      if (!checksum) {
        const sha = await recentDownload(store, key, startedAt);
        const fresh = sha ? await findArchive(store, sha) : undefined;
        if (fresh) {
          return { ...base, version, sha256: fresh.sha256, downloaded: false, verified: false, info: { ...fresh, name, version }, source: 'store', pushed: false };
        }
      }
      const fromRemote = await remote?.fetch(store, name, version, checksum);
      if (fromRemote) {
        if (!checksum) await noteDownload(store, key, fromRemote.sha256);
        return { ...base, version, sha256: fromRemote.sha256, downloaded: true, verified: checksum !== null, info: { ...fromRemote, name, version }, source: 'remote', pushed: false };
      }
      const info = await download(opts, version, checksum);
      if (!checksum) await noteDownload(store, key, info.sha256);
      return { ...base, version, sha256: info.sha256, downloaded: true, verified: checksum !== null, info, source: 'registry', pushed: false };
    },
    opts.lock,
  );
  // After the download lock is released: this machine's other pulls need not wait for the upload.
  if (result.source === 'registry' && remote) result.pushed = await remote.push(store, name, version, result.sha256);
  return result;
}

/** The store, then the remote, for bytes whose digest is known (or named by the remote's tag), under the download lock. */
async function viaRemote(opts: FetchFromRegistryOptions, base: FetchBase, version: string, sha256: string | null): Promise<FetchResult | undefined> {
  const { store, name, remote } = opts;
  if (!remote) return undefined;
  await ensureLayout(store);
  return withLock(
    downloadLockPath(store.layout, `${name}@${version}`),
    async (): Promise<FetchResult | undefined> => {
      const have = sha256 ? await findArchive(store, sha256) : undefined;
      if (have) return { ...base, version, sha256: have.sha256, downloaded: false, verified: true, info: { ...have, name, version }, source: 'store', pushed: false };
      const got = await remote.fetch(store, name, version, sha256);
      if (!got) return undefined;
      return { ...base, version, sha256: got.sha256, downloaded: true, verified: sha256 !== null, info: { ...got, name, version }, source: 'remote', pushed: false };
    },
    opts.lock,
  );
}

type FetchBase = Omit<FetchResult, 'version' | 'sha256' | 'downloaded' | 'verified' | 'info' | 'source' | 'pushed'>;

async function download(opts: FetchFromRegistryOptions, version: string, checksum: string | null): Promise<ArchiveInfo> {
  const { store, client, name } = opts;
  const onProgress = opts.onProgress;
  const info = await client.download(name, version, {
    ...(opts.channel && { channel: opts.channel }),
    onProgress: (p) => {
      onProgress?.({ phase: 'download', ...p });
      reportProgress({ phase: 'download', label: `${name}@${version}`, done: p.received, total: p.total });
    },
    consume: async (body, meta) => {
      try {
        // Straight from the socket into cacache: the archive is never held in
        // memory, and bytes that fail the checksum never become content.
        return await ingest(store, body, {
          sourceKey: `ext:${name}@${version}`,
          ...(checksum && { expectedSha256: checksum }),
          name,
          version,
        });
      } catch (err) {
        if (err instanceof StoreError && err.code === 'E_INTEGRITY') {
          throw new RegistryError(
            'E_INTEGRITY',
            `The archive of ${name}@${version} downloaded from ${meta.url} does not match the registry's checksum ${checksum}.`,
            'The download was corrupted or tampered with; nothing was installed. Try again, and report it to the registry operator if it persists.',
            { cause: err },
          );
        }
        throw err;
      }
    },
  });
  await recordVersion(store, name, version, info);
  return info;
}

async function fetchOffline(opts: FetchFromRegistryOptions, base: FetchBase): Promise<FetchResult> {
  const { store, name, version } = opts;
  if (!version) {
    throw new RegistryError(
      'E_NOT_FOUND',
      `Cannot find the latest version of ${name} offline.`,
      `Pin a version ('swamp-store extension pull ${name}@<version> --offline') or run without '--offline'.`,
    );
  }
  const known = await lookupVersion(store, name, version);
  const have = known ? await findArchive(store, known.sha256) : undefined;
  if (!have) {
    throw new RegistryError(
      'E_NOT_FOUND',
      known
        ? `The archive of ${name}@${version} is no longer in the store.`
        : `Extension ${name}@${version} is not in the store, and '--offline' forbids downloading it.`,
      `Run 'swamp-store extension pull ${name}@${version}' without '--offline'.`,
    );
  }
  return { ...base, version, sha256: have.sha256, downloaded: false, verified: true, info: { ...have, name, version }, source: 'store', pushed: false };
}
