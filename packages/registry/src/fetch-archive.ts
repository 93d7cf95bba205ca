import { withLock, type LockOptions } from '@swamp-store/lock';
import {
  StoreError,
  downloadLockPath,
  ensureLayout,
  findArchive,
  ingest,
  lookupVersion,
  recordVersion,
  type ArchiveInfo,
  type Store,
} from '@swamp-store/store';
import type { RegistryClient } from './client.js';
import { RegistryError } from './errors.js';
import { noteDownload, recentDownload } from './recent-download.js';
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
}

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
}

/**
 * Store first: ask the registry for the checksum, and download only when the
 * store lacks those bytes. Downloads of one name@version are serialised across
 * processes by a lock, and the store is checked again under it, so N agents
 * pulling the same version at once download it once.
 */
export async function fetchFromRegistry(opts: FetchFromRegistryOptions): Promise<FetchResult> {
  const { store, client, name } = opts;
  const channel = opts.channel && opts.channel !== 'stable' ? opts.channel : undefined;
  const base = { name, ...(channel && { channel }), serverUrl: client.baseUrl };

  if (opts.offline) return fetchOffline(opts, base);
  const startedAt = Date.now();

  const version = opts.version ?? (await client.latest(name, channel)).version;
  opts.onProgress?.({ phase: 'resolved', version });
  const checksum = await client.checksum(name, version, channel);

  const hit = async (): Promise<FetchResult | undefined> => {
    const have = checksum ? await findArchive(store, checksum) : undefined;
    if (!have) return undefined;
    const info = { ...have, name, version };
    await recordVersion(store, name, version, info);
    return { ...base, version, sha256: have.sha256, downloaded: false, verified: true, info };
  };

  const early = await hit();
  if (early) return early;

  await ensureLayout(store);
  const key = `${name}@${version}`;
  return withLock(
    downloadLockPath(store.layout, key),
    async () => {
      const late = await hit();
      if (late) return late;
      if (!checksum) {
        const sha = await recentDownload(store, key, startedAt);
        const fresh = sha ? await findArchive(store, sha) : undefined;
        if (fresh) {
          return { ...base, version, sha256: fresh.sha256, downloaded: false, verified: false, info: { ...fresh, name, version } };
        }
      }
      const info = await download(opts, version, checksum);
      if (!checksum) await noteDownload(store, key, info.sha256);
      return { ...base, version, sha256: info.sha256, downloaded: true, verified: checksum !== null, info };
    },
    opts.lock,
  );
}

async function download(opts: FetchFromRegistryOptions, version: string, checksum: string | null): Promise<ArchiveInfo> {
  const { store, client, name } = opts;
  const onProgress = opts.onProgress;
  const info = await client.download(name, version, {
    ...(opts.channel && { channel: opts.channel }),
    ...(onProgress && { onProgress: (p) => onProgress({ phase: 'download', ...p }) }),
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

async function fetchOffline(opts: FetchFromRegistryOptions, base: Omit<FetchResult, 'version' | 'sha256' | 'downloaded' | 'verified' | 'info'>): Promise<FetchResult> {
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
  return { ...base, version, sha256: have.sha256, downloaded: false, verified: true, info: { ...have, name, version } };
}
