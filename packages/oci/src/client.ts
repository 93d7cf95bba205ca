import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { Authorizer, USER_AGENT, credentialsRemedy } from './auth.js';
import { findCredentials, type CredentialSources, type Credentials } from './credentials.js';
import { OciError } from './errors.js';
import { discard, readSmall, send, type Response, type SendOptions, type Timeouts } from './http.js';
import { EMPTY_CONFIG, EMPTY_CONFIG_BYTES, MANIFEST_MEDIA_TYPE, digestOf, manifestBytes, parseArchiveManifest, tagFor, type ArchiveManifest } from './layout.js';
import { parseRemoteUrl, type RemoteRef } from './reference.js';

export interface OciClientOptions {
  /** `oci://HOST[:PORT]/REPO` or `oci+http://...`. */
  remote: string | RemoteRef;
  /** Explicit credentials; null for anonymous; default: looked up in `credentialSources`. */
  credentials?: Credentials | null;
  /** Where to look when `credentials` is not given (the CLI passes its settings); default: Docker's ~/.docker/config.json. */
  credentialSources?: CredentialSources;
  /** Default 5 s. */
  connectTimeoutMs?: number;
  /** No byte either way for this long aborts. Default 15 s. */
  stallTimeoutMs?: number;
  /** One request, body included. Default 60 s (blobs: 300 s). */
  requestTimeoutMs?: number;
  maxRedirects?: number;
}

const MANIFEST_MAX = 4 * 1024 * 1024;
const REDIRECT = new Set([301, 302, 303, 307, 308]);

interface RequestOptions {
  method: SendOptions['method'];
  /** Path under /v2/<repo>/, or an absolute URL (upload locations). */
  path: string | URL;
  push?: boolean;
  headers?: Record<string, string>;
  body?: SendOptions['body'];
  /** Statuses the caller handles; anything else becomes an error. */
  ok: number[];
  deadline?: number;
  /** Follow redirects (blob GETs are often sent to storage elsewhere). */
  follow?: boolean;
  /** Also retry a 400: a manifest PUT racing another push can see its blob as unknown for a moment. */
  retry400?: boolean;
}

/**
 * Attempts per request on 429/500/502/503/504. distribution's filesystem storage rewrites a
 * repository's blob link on every upload of that blob, and a HEAD or manifest
 * PUT that reads the link mid-write gets a 500 (or 400 "blob unknown"): with
 * many machines pushing one archive at once that is routine, and gone a moment later.
 */
const ATTEMPTS = 4;
// Not 501 or 507 (out of space): asking again changes nothing.
const TRANSIENT = new Set([429, 500, 502, 503, 504]);

/**
 * A client for the OCI distribution spec, only what a content-addressed cache
 * needs: blobs by digest (HEAD, GET, POST+PUT upload) and manifests by tag
 * (HEAD, GET, PUT). Auth follows the registry's WWW-Authenticate challenge
 * (Basic, or Bearer through the realm); the Authorization header never leaves
 * the registry's origin, also not on a redirect.
 */
export class OciClient {
  readonly remote: RemoteRef;
  private authorizer: Authorizer | undefined;
  private readonly options: OciClientOptions;
  private configPushed: Promise<void> | undefined;

  constructor(options: OciClientOptions) {
    this.options = options;
    this.remote = typeof options.remote === 'string' ? parseRemoteUrl(options.remote) : options.remote;
  }

  /** True when the remote has the blob. */
  async hasBlob(sha256: string): Promise<boolean> {
    const res = await this.request({ method: 'HEAD', path: `blobs/${digestOf(sha256)}`, ok: [200, 404] });
    discard(res);
    return res.status === 200;
  }

  /**
   * Streams the blob to `consume`, which must verify it: the bytes are the
   * remote's word, not the digest's. Undefined when the remote lacks it.
   */
  async getBlob<T>(sha256: string, consume: (body: Readable, size: number | undefined) => Promise<T>, maxBytes = 512 * 1024 * 1024): Promise<T | undefined> {
    const deadline = Date.now() + (this.options.requestTimeoutMs ?? 300_000);
    const res = await this.request({ method: 'GET', path: `blobs/${digestOf(sha256)}`, ok: [200, 404], follow: true, deadline });
    if (res.status === 404) {
      discard(res);
      return undefined;
    }
    const size = lengthOf(res);
    if (size !== undefined && size > maxBytes) {
      res.body.destroy();
      throw new OciError('E_REMOTE', `${this.remote.url} offers blob ${digestOf(sha256)} of ${size} bytes, over the limit of ${maxBytes}.`);
    }
    let seen = 0;
    const limit = new Transform({
      transform(chunk: Buffer, _enc, done) {
        seen += chunk.length;
        done(seen > maxBytes ? new OciError('E_REMOTE', `Blob ${digestOf(sha256)} from the remote exceeds ${maxBytes} bytes.`) : null, chunk);
      },
    });
    res.body.on('error', (err) => limit.destroy(err));
    return consume(res.body.pipe(limit), size);
  }

  /**
   * Uploads a blob unless the remote has it (POST, then one monolithic PUT
   * with ?digest=, which every registry supports). The registry checks the
   * digest itself; re-uploading an existing digest is harmless, so machines
   * racing to push the same archive all succeed. True when this call uploaded.
   */
  async pushBlob(sha256: string, size: number, open: () => Readable | Buffer): Promise<boolean> {
    if (await this.hasBlob(sha256)) return false;
    const deadline = Date.now() + (this.options.requestTimeoutMs ?? 300_000);
    const start = await this.request({ method: 'POST', path: 'blobs/uploads/', push: true, ok: [202], headers: { 'content-length': '0' }, deadline });
    discard(start);
    const location = start.headers.location;
    if (!location) throw new OciError('E_REMOTE', `${this.remote.url} started an upload without a Location.`);
    const target = new URL(location, start.url);
    if (target.origin !== new URL(this.remote.origin).origin) {
      throw new OciError('E_REMOTE', `${this.remote.url} asked for the upload to go to ${target.origin}; refusing to send it elsewhere.`);
    }
    target.searchParams.set('digest', digestOf(sha256));
    // A factory: a 401 on the PUT (an expired token) sends the body again from the start.
    const body = (): Readable => {
      const b = open();
      return Buffer.isBuffer(b) ? Readable.from([b]) : b;
    };
    const put = await this.request({
      method: 'PUT',
      path: target,
      push: true,
      ok: [201, 204],
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body,
      deadline,
    });
    discard(put);
    return true;
  }

  /** The manifest digest under `tag`, or undefined. */
  async manifestDigest(tag: string): Promise<string | undefined> {
    const res = await this.request({ method: 'HEAD', path: `manifests/${tag}`, headers: { accept: MANIFEST_MEDIA_TYPE }, ok: [200, 404] });
    discard(res);
    if (res.status === 404) return undefined;
    const d = res.headers['docker-content-digest'];
    return typeof d === 'string' ? d : '';
  }

  /** The manifest bytes under a tag or digest, or undefined. */
  async getManifest(reference: string): Promise<Buffer | undefined> {
    const res = await this.request({ method: 'GET', path: `manifests/${reference}`, headers: { accept: MANIFEST_MEDIA_TYPE }, ok: [200, 404] });
    if (res.status === 404) {
      discard(res);
      return undefined;
    }
    return readSmall(res, MANIFEST_MAX);
  }

  /** PUT a manifest under `tag`; returns its digest. */
  async putManifest(tag: string, bytes: Buffer): Promise<string> {
    const res = await this.request({
      method: 'PUT',
      path: `manifests/${tag}`,
      push: true,
      headers: { 'content-type': MANIFEST_MEDIA_TYPE, 'content-length': String(bytes.length) },
      body: bytes,
      ok: [201, 200, 204],
      retry400: true,
    });
    discard(res);
    return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  }

  /** Every tag (follows the Link header's pagination). */
  async listTags(): Promise<string[]> {
    const tags: string[] = [];
    let next: string | URL = 'tags/list?n=1000';
    for (let page = 0; page < 1000; page++) {
      const res = await this.request({ method: 'GET', path: next, headers: { accept: 'application/json' }, ok: [200, 404] });
      if (res.status === 404) {
        discard(res);
        return tags;
      }
      const body = JSON.parse((await readSmall(res, MANIFEST_MAX)).toString('utf8')) as { tags?: unknown };
      if (Array.isArray(body.tags)) tags.push(...body.tags.filter((t): t is string => typeof t === 'string'));
      const link = /<([^>]+)>\s*;\s*rel="?next"?/.exec(String(res.headers.link ?? ''));
      if (!link) return tags;
      next = new URL(link[1] as string, res.url);
      if (next.origin !== this.remote.origin) return tags;
    }
    return tags;
  }

  /** The archive layer name@version resolves to on the remote, or undefined. */
  async resolveTag(name: string, version: string): Promise<ArchiveManifest | undefined> {
    const bytes = await this.getManifest(tagFor(name, version));
    return bytes ? parseArchiveManifest(bytes, name, version) : undefined;
  }

  /**
   * Blob, empty config, then the tagged manifest: in that order, so a tag never
   * names a blob the remote lacks, and the blob is kept by the registry's gc
   * (a manifest references it). True when this call uploaded anything.
   */
  async pushArchive(a: ArchiveManifest, open: () => Readable): Promise<boolean> {
    const tag = tagFor(a.name, a.version);
    const bytes = manifestBytes(a);
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if ((await this.manifestDigest(tag)) === digest && (await this.hasBlob(a.sha256))) return false;
    await this.pushBlob(a.sha256, a.size, open);
    // Once per client: twenty archives pushed at once need not race twenty uploads of the same two bytes.
    this.configPushed ??= this.pushBlob(EMPTY_CONFIG.digest.slice('sha256:'.length), EMPTY_CONFIG.size, () => EMPTY_CONFIG_BYTES).then(
      () => undefined,
      (err: unknown) => {
        this.configPushed = undefined;
        throw err;
      },
    );
    await this.configPushed;
    await this.putManifest(tag, bytes);
    return true;
  }

  private async request(opts: RequestOptions): Promise<Response> {
    for (let attempt = 1; ; attempt++) {
      const res = await this.requestOnce(opts);
      const transient = TRANSIENT.has(res.status) || (opts.retry400 && res.status === 400);
      if (!transient || opts.ok.includes(res.status) || attempt >= ATTEMPTS) return this.accept(opts, res);
      discard(res);
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt * (0.5 + Math.random())));
    }
  }

  private accept(opts: RequestOptions, res: Response): Response {
    if (opts.ok.includes(res.status)) return res;
    discard(res);
    throw this.statusError(opts.method, res.url, res.status);
  }

  private async requestOnce(opts: RequestOptions): Promise<Response> {
    const scope = `repository:${this.remote.repository}:${opts.push ? 'pull,push' : 'pull'}`;
    const authorizer = await this.auth();
    const timeouts: Timeouts = {
      connectMs: this.options.connectTimeoutMs ?? 5_000,
      stallMs: this.options.stallTimeoutMs ?? 15_000,
      deadline: opts.deadline ?? Date.now() + (this.options.requestTimeoutMs ?? 60_000),
    };
    const url = typeof opts.path === 'string' ? new URL(`${this.remote.origin}/v2/${this.remote.repository}/${opts.path}`) : opts.path;
    const base = { 'user-agent': USER_AGENT, 'accept-encoding': 'identity', ...opts.headers };
    const attempt = (authorization: string | undefined): Promise<Response> =>
      send({ method: opts.method, url, headers: authorization ? { ...base, authorization } : base, ...(opts.body && { body: opts.body }), timeouts });
    let res = await attempt(authorizer.upfront(scope));
    if (res.status === 401) {
      const header = await authorizer.answer(res, scope, timeouts);
      discard(res);
      if (header) res = await attempt(header);
    }
    if (opts.follow) res = await this.follow(res, opts.method, timeouts);
    return res;
  }

  /** Redirects: https, or the registry's own origin; never with our Authorization. */
  private async follow(res: Response, method: SendOptions['method'], timeouts: Timeouts): Promise<Response> {
    for (let hops = 0; REDIRECT.has(res.status); hops++) {
      discard(res);
      if (hops >= (this.options.maxRedirects ?? 5)) throw new OciError('E_REMOTE', `${this.remote.url} redirected more than ${this.options.maxRedirects ?? 5} times.`);
      let next: URL;
      try {
        next = new URL(String(res.headers.location ?? ''), res.url);
      } catch {
        throw new OciError('E_REMOTE', `${this.remote.url} redirected without a valid Location.`);
      }
      if ((next.protocol !== 'https:' && next.origin !== this.remote.origin) || next.username || next.password) {
        throw new OciError('E_REMOTE', `${this.remote.url} redirected to ${next.origin}, which is neither https nor the registry itself.`);
      }
      // Same origin keeps nothing either: a pre-signed storage URL carries its own authorisation.
      res = await send({ method, url: next, headers: { 'user-agent': USER_AGENT, 'accept-encoding': 'identity' }, timeouts });
    }
    return res;
  }

  private statusError(method: string, url: URL, status: number): OciError {
    const what = `${method} ${url.pathname}`;
    if (status === 401 || status === 403) {
      return new OciError('E_REMOTE_AUTH', `${this.remote.url} refused ${what} (HTTP ${status}).`, credentialsRemedy(), { status });
    }
    const hint = status === 413 || status === 507 ? ' (out of space or over quota?)' : '';
    return new OciError('E_REMOTE', `${this.remote.url} answered HTTP ${status} to ${what}${hint}.`, undefined, { status });
  }

  private async auth(): Promise<Authorizer> {
    if (this.authorizer) return this.authorizer;
    const creds =
      this.options.credentials === null ? undefined : (this.options.credentials ?? (await findCredentials(this.remote.host, this.options.credentialSources)));
    this.authorizer ??= new Authorizer(this.remote, creds);
    return this.authorizer;
  }
}

function lengthOf(res: Response): number | undefined {
  const v = res.headers['content-length'];
  return v && /^\d{1,15}$/.test(v) ? Number(v) : undefined;
}
