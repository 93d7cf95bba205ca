import { ensureTreeOrReject, findArchive, ingest, reportProgress, isArchiveMissing, readTreeManifest, sha256File, type ResolvedArchive, type Store } from '@swamp-store/store';
import { createRegistryClient, type RegistryClient, type RegistrySettings } from './client.js';
import { checkArchivePath } from './archive-path.js';
import { RegistryError } from './errors.js';
import { fetchFromRegistry } from './fetch-archive.js';
import type { RemoteCache } from './remote-cache.js';
import type { Channel } from './versions.js';
import { classifyRef } from './refs.js';

/** A resolved ref: the store's ResolvedArchive (kept as an alias for this package's callers). */
export type ResolvedRef = ResolvedArchive;

export interface ResolverOptions {
  store: Store;
  /** `--registry`; wins over settings.registryUrl. */
  registryUrl?: string;
  apiKey?: string | undefined;
  /** SWAMP_CLUB_URL, SWAMP_API_KEY and the download limits, as the CLI read them. */
  settings?: RegistrySettings;
  channel?: Channel | undefined;
  offline?: boolean;
  client?: RegistryClient;
  onProgress?: (text: string) => void;
  /** The fleet's shared cache (SWAMP_STORE_REMOTE), between the store and Swamp's registry. */
  remote?: RemoteCache | undefined;
}

/** What the caller already knows about the archive a ref must resolve to (a lockfile entry's checksum). */
export interface ResolveHint {
  sha256?: string | undefined;
  /** A manifest dependency: a bare name or constraint takes Swamp's latest stable, else beta, else rc. */
  dependency?: boolean;
}

/**
 * The resolver the CLI plugs into the worktree's pull and install: store
 * first for registry names, streaming downloads for URLs, and local archives
 * ingested as they are.
 */
export function createResolver(opts: ResolverOptions): (ref: string, hint?: ResolveHint) => Promise<ResolvedRef> {
  let client: RegistryClient | undefined = opts.client;
  const getClient = (): RegistryClient =>
    (client ??= createRegistryClient({
      ...(opts.registryUrl ? { baseUrl: opts.registryUrl } : {}),
      ...(opts.apiKey ? { apiKey: opts.apiKey } : {}),
      ...(opts.settings ? { settings: opts.settings } : {}),
    }));
  return async (ref, hint) => {
    const kind = classifyRef(ref);
    if (kind.kind === 'path') {
      await checkArchivePath(ref, kind.path);
      // Warm path: hashing the local file is cheaper than writing it into cacache again,
      // and when its tree is published the bytes are not needed (the caller re-resolves
      // if the tree vanishes before it is pinned).
      const sha256 = await sha256File(kind.path).catch(() => undefined);
      if (sha256 && (await readTreeManifest(opts.store.layout, sha256)) && !(await isArchiveMissing(opts.store, sha256))) {
        return { sha256, downloaded: false, verified: true, serverUrl: '', source: 'store', pushed: false };
      }
      const sourceKey = `file:${kind.path}`;
      // Already in the store (another worktree ingested the same bytes and may be unpacking them
      // now): no second copy into cacache; ensureTree waits for, or does, the unpacking.
      const info = (sha256 ? await findArchive(opts.store, sha256) : undefined) ?? (await ingest(opts.store, kind.path, { sourceKey }));
      const { status } = await ensureTreeOrReject(opts.store, info, sourceKey, `Archive ${ref}`);
      return { sha256: info.sha256, downloaded: false, verified: true, serverUrl: '', source: 'store', pushed: false, treeStatus: status };
    }
    if (kind.kind === 'url') {
      if (opts.offline) {
        throw new RegistryError('E_NETWORK', `Cannot download ${kind.url.href} while offline.`, 'Run the command without --offline, or pull a local archive path.');
      }
      const info = await getClient().downloadUrl(kind.url, {
        onProgress: (p) => {
          opts.onProgress?.(`${kind.url.href}: ${p.received} bytes`);
          reportProgress({ phase: 'download', label: kind.url.href, done: p.received, total: p.total });
        },
        consume: (body) => ingest(opts.store, body, { sourceKey: `url:${kind.url.href}` }),
      });
      const { status } = await ensureTreeOrReject(opts.store, info, `url:${kind.url.href}`, `Archive ${kind.url.href}`);
      return { sha256: info.sha256, downloaded: true, verified: false, serverUrl: '', source: 'registry', pushed: false, treeStatus: status };
    }
    // A dependency never follows --channel: Swamp pins its version or takes the newest stable, else beta, else rc.
    const pick = hint?.dependency ? await dependencyVersion(kind, getClient, Boolean(opts.offline)) : { version: kind.version, channel: opts.channel };
    const got = await fetchFromRegistry({
      store: opts.store,
      client: getClient(),
      name: kind.name,
      ...(pick.version ? { version: pick.version } : {}),
      ...(pick.channel ? { channel: pick.channel } : {}),
      offline: Boolean(opts.offline),
      remote: opts.remote,
      expectedSha256: hint?.sha256,
      onProgress: (p) => opts.onProgress?.(p.phase === 'resolved' ? `${kind.name}@${p.version}` : `${kind.name}: ${p.received} bytes`),
    });
    return {
      sha256: got.sha256,
      name: got.name,
      version: got.version,
      downloaded: got.downloaded,
      verified: got.verified,
      serverUrl: got.serverUrl,
      channel: got.channel,
      source: got.source,
      pushed: got.pushed,
    };
  };
}

/**
 * Swamp's rule for a dependency (installExtension): an exact version as
 * written; otherwise the latest stable release, else the latest beta, else the
 * latest rc, recording that channel in the lockfile.
 */
async function dependencyVersion(
  kind: { name: string; version?: string },
  client: () => RegistryClient,
  offline: boolean,
): Promise<{ version: string | undefined; channel: Channel | undefined }> {
  if (kind.version || offline) return { version: kind.version, channel: undefined };
  const info = await client().info(kind.name);
  if (info.latestVersion) return { version: info.latestVersion, channel: undefined };
  if (info.latestBeta) return { version: info.latestBeta, channel: 'beta' };
  if (info.latestRc) return { version: info.latestRc, channel: 'rc' };
  throw new RegistryError('E_NOT_FOUND', `Extension ${kind.name} has no published versions.`, 'Publish a release of it, or remove the dependency.');
}
