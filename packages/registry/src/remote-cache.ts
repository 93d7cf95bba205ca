import { PassThrough, type Readable } from 'node:stream';
import type { CredentialSources, OciClient } from '@swamp-store/oci';
import { isSwampStoreError } from '@swamp-store/primitives';
import { StoreError, findArchive, ingest, openArchiveStream, recordVersion, type ArchiveInfo, type Store } from '@swamp-store/store';

export interface RemoteCacheOptions {
  /** `oci://HOST[:PORT]/REPOSITORY` or `oci+http://...`. */
  url: string;
  /** False: read through the remote, never write to it (SWAMP_STORE_REMOTE_PUSH=0). */
  push: boolean;
  /** One line per problem, already worded for the user. */
  onWarning: (line: string) => void;
  /** Where the remote's credentials are looked up (the CLI passes SWAMP_STORE_REMOTE_USERNAME/PASSWORD and DOCKER_CONFIG from its settings). */
  credentials?: CredentialSources;
  /** Whole push of one archive (blob, config, manifest). Default 60 s. */
  pushTimeoutMs?: number;
  /** Connect timeout. Default 3 s. */
  connectTimeoutMs?: number;
  /** No byte for this long. Default 10 s (the CLI passes SWAMP_STORE_STALL_TIMEOUT_MS when that is shorter). */
  stallTimeoutMs?: number;
  /** One request, a blob's body included. Default 60 s: a remote slower than that is no cache. */
  requestTimeoutMs?: number;
}

/**
 * The fleet's shared cache in front of Swamp's registry (an OCI registry).
 * It is only a cache: every failure here is one warning line, and then the
 * remote is left alone for the rest of the command (twenty names must not
 * mean twenty timeouts), so the pull goes on through Swamp's registry.
 */
export class RemoteCache {
  readonly url: string;
  readonly canPush: boolean;
  private client: Promise<OciClient> | undefined;
  private broken = false;

  constructor(private readonly opts: RemoteCacheOptions) {
    this.url = opts.url;
    this.canPush = opts.push;
  }

  /**
   * The archive name@version from the remote into the store, verified: by
   * digest when the checksum is known, else through the remote's tag for
   * name@version (then its manifest's layer digest is what the bytes must match).
   */
  async fetch(store: Store, name: string, version: string, sha256: string | null): Promise<ArchiveInfo | undefined> {
    const client = await this.usable();
    if (!client) return undefined;
    let digest = sha256;
    try {
      if (!digest) digest = (await client.resolveTag(name, version))?.sha256 ?? null;
      if (!digest) return undefined;
      const expected = digest;
      const info = await client.getBlob(expected, (body: Readable) => ingest(store, body, { sourceKey: `oci:${this.url}@sha256:${expected}`, expectedSha256: expected, name, version }));
      if (info) await recordVersion(store, name, version, info);
      return info;
    } catch (err) {
      if (err instanceof StoreError && err.code === 'E_INTEGRITY') {
        this.opts.onWarning(`the remote ${this.url} served bytes for sha256:${digest} (${name}@${version}) that do not match that digest; refused them, fetching from Swamp's registry.`);
        return undefined;
      }
      if (err instanceof StoreError) throw err; // the store itself failed: Swamp's registry would fail the same way
      this.fail(err);
      return undefined;
    }
  }

  /**
   * Blob, then a tagged manifest, from this store's copy. Bounded in time; a
   * failure is a warning. True when this process uploaded it.
   */
  async push(store: Store, name: string, version: string, sha256: string): Promise<boolean> {
    if (!this.canPush || this.broken) return false;
    try {
      return await this.upload(store, name, version, sha256);
    } catch (err) {
      this.fail(err, 'push to');
      return false;
    }
  }

  /** `push` that throws: for `cache push`, whose whole job this is. */
  async upload(store: Store, name: string, version: string, sha256: string): Promise<boolean> {
    const client = await this.connect();
    const info = await findArchive(store, sha256);
    if (!info) return false;
    const budget = this.opts.pushTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    const opened: Readable[] = [];
    try {
      const push = client.pushArchive({ name, version, sha256, size: info.size }, () => {
        // cacache re-checks the integrity of what it streams: a damaged store copy fails the upload, never reaches the remote.
        const s = streamOf(openArchiveStream(store, info));
        opened.push(s);
        return s;
      });
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`pushing ${name}@${version} took longer than ${Math.round(budget / 1000)} s`)), budget);
      });
      return await Promise.race([push, timeout]);
    } catch (err) {
      for (const s of opened) s.destroy();
      throw err;
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  private async usable(): Promise<OciClient | undefined> {
    if (this.broken) return undefined;
    try {
      return await this.connect();
    } catch (err) {
      this.fail(err);
      return undefined;
    }
  }

  private connect(): Promise<OciClient> {
    const stall = this.opts.stallTimeoutMs ?? 10_000;
    return (this.client ??= import('@swamp-store/oci').then(
        (oci) =>
          new oci.OciClient({
            remote: this.url,
            ...(this.opts.credentials ? { credentialSources: this.opts.credentials } : {}),
            connectTimeoutMs: this.opts.connectTimeoutMs ?? 3_000,
            stallTimeoutMs: stall,
            requestTimeoutMs: this.opts.requestTimeoutMs ?? 60_000,
          }),
      ));
  }

  private fail(err: unknown, verb = 'use'): void {
    if (this.broken) return;
    this.broken = true;
    const remedy = isSwampStoreError(err) && err.code === 'E_REMOTE_AUTH' && err.remedy ? ` ${err.remedy}` : '';
    const message = err instanceof Error ? err.message : String(err);
    this.opts.onWarning(`could not ${verb} the remote cache ${this.url} (${message}); going on without it.${remedy}`);
  }
}

/** openArchiveStream is async; the upload wants a stream now. */
function streamOf(pending: Promise<Readable>): Readable {
  const out = new PassThrough();
  pending.then(
    (s) => {
      s.on('error', (err) => out.destroy(err));
      s.pipe(out);
    },
    (err: Error) => out.destroy(err),
  );
  return out;
}
