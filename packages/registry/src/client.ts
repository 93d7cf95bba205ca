import type { Readable } from 'node:stream';
import { DEFAULT_REGISTRY_URL, SETTINGS, type Settings } from '@swamp-store/primitives';
import { RegistryError } from './errors.js';
import { discard, httpGet, readBody, type HttpResponse } from './http.js';
import { ShapeError, parseChecksum, parseInfo, parseLatest, type ExtensionInfo, type LatestVersion } from './responses.js';
import { parseRetryAfter, withRetries, type RetryPolicy } from './retry.js';
import type { Channel } from './versions.js';

export { DEFAULT_REGISTRY_URL };

/** The settings (docs/CLI.md, "Settings") the client takes when no explicit option says otherwise. */
export type RegistrySettings = Partial<Pick<Settings, 'registryUrl' | 'apiKey' | 'stallTimeoutMs' | 'maxArchiveBytes'>>;

const MiB = 1024 * 1024;

export interface RegistryClientOptions {
  /** Registry base URL; default settings.registryUrl (SWAMP_CLUB_URL), else https://swamp-club.com. */
  baseUrl?: string;
  /** Sent as `x-api-key` to the registry (never to a download's redirect target); default settings.apiKey (SWAMP_API_KEY). */
  apiKey?: string;
  /** What the CLI read from the environment once; the client never reads process.env. */
  settings?: RegistrySettings;
  /** Whole API call, body included. Default 15 s, as Swamp. */
  apiTimeoutMs?: number;
  /** Whole download, redirects and body included. Default 120 s, as Swamp. */
  downloadTimeoutMs?: number;
  /** No byte for this long, while we are ready for one, aborts. Default settings.stallTimeoutMs, else 30 s. */
  stallTimeoutMs?: number;
  /** Attempts after the first, on network errors, 5xx and 429. Default 3. */
  retries?: number;
  /** First backoff, doubled per attempt, jittered. Default 500 ms. */
  retryBaseDelayMs?: number;
  /** Longest backoff. Default 8 s. */
  retryMaxDelayMs?: number;
  /** Longest Retry-After honoured. Default 30 s. */
  maxRetryAfterMs?: number;
  /** Largest JSON answer. Default 1 MiB. */
  maxJsonBytes?: number;
  /** Largest archive. Default settings.maxArchiveBytes, else 512 MiB. */
  maxArchiveBytes?: number;
  /** Most redirects followed by one download. Default 5. */
  maxRedirects?: number;
}

export interface DownloadProgress {
  received: number;
  total: number | undefined;
}

export interface DownloadOptions<T> {
  channel?: Channel;
  onProgress?: (p: DownloadProgress) => void;
  /**
   * Takes the archive body as a stream (never buffered here) and returns once it
   * is stored. Called again on a retry with a fresh body; a body that fails
   * mid-way errors the stream with a retryable E_NETWORK.
   */
  consume: (body: Readable, meta: { url: string; size: number | undefined }) => Promise<T>;
}

const REDIRECT = new Set([301, 302, 303, 307, 308]);

/** The Swamp registry API (see docs/swamp-compatibility.md, "Registry HTTP API"). */
export class RegistryClient {
  /** Normalised base URL, no trailing slash; what the lockfile records as `serverUrl`. */
  readonly baseUrl: string;
  private readonly origin: string;
  private readonly apiKey: string | undefined;
  private readonly apiTimeoutMs: number;
  private readonly downloadTimeoutMs: number;
  private readonly stallTimeoutMs: number;
  private readonly maxJsonBytes: number;
  private readonly maxArchiveBytes: number;
  private readonly maxRedirects: number;
  private readonly retry: RetryPolicy;

  constructor(options: RegistryClientOptions = {}) {
    const settings = options.settings ?? {};
    const raw = options.baseUrl ?? (settings.registryUrl || DEFAULT_REGISTRY_URL);
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new RegistryError('E_NETWORK', `Registry URL '${raw}' is not a valid URL.`, `Pass an http(s) URL with '--registry' or SWAMP_CLUB_URL.`);
    }
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.search || url.hash) {
      throw new RegistryError('E_NETWORK', `Registry URL '${raw}' must be a plain http or https URL.`, `Pass a URL like '${DEFAULT_REGISTRY_URL}'.`);
    }
    this.baseUrl = url.href.replace(/\/+$/, '');
    this.origin = url.origin;
    const key = options.apiKey ?? settings.apiKey;
    this.apiKey = key ? key : undefined;
    this.apiTimeoutMs = options.apiTimeoutMs ?? 15_000;
    this.downloadTimeoutMs = options.downloadTimeoutMs ?? 120_000;
    // Both are also settings so that the CLI (and tests driving it as a black
    // box) can tighten them without a flag for every knob.
    this.stallTimeoutMs = options.stallTimeoutMs ?? settings.stallTimeoutMs ?? SETTINGS.stallTimeoutMs.default;
    this.maxJsonBytes = options.maxJsonBytes ?? MiB;
    this.maxArchiveBytes = options.maxArchiveBytes ?? settings.maxArchiveBytes ?? SETTINGS.maxArchiveBytes.default;
    this.maxRedirects = options.maxRedirects ?? 5;
    this.retry = {
      retries: options.retries ?? 3,
      baseDelayMs: options.retryBaseDelayMs ?? 500,
      maxDelayMs: options.retryMaxDelayMs ?? 8_000,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 30_000,
    };
  }

  /** `GET /api/v1/extensions/{name}`. E_NOT_FOUND when the registry does not know the name. */
  async info(name: string): Promise<ExtensionInfo> {
    const url = this.apiUrl(encodeURIComponent(name));
    const json = await this.getJson(url);
    if (json === undefined) throw this.unknownExtension(name);
    return this.shaped(url, () => parseInfo(json));
  }

  /** `GET .../{name}/latest[?channel=]`. E_NOT_FOUND when there is no release on that channel. */
  async latest(name: string, channel: Channel = 'stable'): Promise<LatestVersion> {
    const url = this.apiUrl(`${encodeURIComponent(name)}/latest`, channel);
    const json = await this.getJson(url);
    const latest = json === undefined ? undefined : this.shaped(url, () => parseLatest(json));
    if (latest) return latest;
    if (channel === 'stable') throw this.unknownExtension(name);
    throw new RegistryError(
      'E_NOT_FOUND',
      `Extension ${name} has no ${channel} release in the registry at ${this.baseUrl}.`,
      `Use 'swamp-store extension pull ${name}' for the stable release.`,
    );
  }

  /** `GET .../{name}@{version}/checksum[?channel=]`: hex sha256, or null when the registry knows none. */
  async checksum(name: string, version: string, channel: Channel = 'stable'): Promise<string | null> {
    const url = this.apiUrl(`${encodeURIComponent(name)}@${encodeURIComponent(version)}/checksum`, channel);
    const json = await this.getJson(url);
    if (json === undefined) return null;
    return this.shaped(url, () => parseChecksum(json));
  }

  /**
   * `GET .../{name}@{version}/download[?channel=]`, then the redirect target.
   * The target must be https or the registry's own origin, and never gets the
   * API key: it is usually a signed storage URL on someone else's host.
   */
  async download<T>(name: string, version: string, opts: DownloadOptions<T>): Promise<T> {
    const start = this.apiUrl(`${encodeURIComponent(name)}@${encodeURIComponent(version)}/download`, opts.channel ?? 'stable');
    return this.transfer(start, {
      keyOnFirstHop: true,
      trustedOrigin: this.origin,
      what: `the download of ${name}@${version}`,
      notFound: (status) =>
        new RegistryError(
          'E_NOT_FOUND',
          `Extension ${name}@${version} was not found in the registry at ${this.baseUrl}.`,
          `Use 'swamp-store extension pull ${name}' for the latest version.`,
          { status },
        ),
      ...opts,
    });
  }

  /**
   * An archive at a URL the user gave (`swamp-store extension pull https://...`),
   * with the same limits, timeouts and retries. It is not the registry: it never
   * gets the API key, and a redirect must be https or stay on the URL's origin.
   */
  async downloadUrl<T>(url: URL | string, opts: Omit<DownloadOptions<T>, 'channel'>): Promise<T> {
    let start: URL;
    try {
      start = new URL(url);
    } catch {
      throw new RegistryError('E_NOT_FOUND', `'${String(url)}' is not a valid URL.`, 'Check the URL and try again.');
    }
    if (start.protocol !== 'https:' && start.protocol !== 'http:') {
      throw new RegistryError('E_NETWORK', `Refusing to fetch ${start.href}: only http and https URLs are supported.`);
    }
    return this.transfer(start, {
      keyOnFirstHop: false,
      trustedOrigin: start.origin,
      what: `the download of ${start.href}`,
      notFound: (status) =>
        new RegistryError('E_NOT_FOUND', `There is no archive at ${start.href} (HTTP ${status}).`, 'Check the URL and try again.', { status }),
      ...opts,
    });
  }

  /** GET `start`, follow safe redirects, hand the 200 body to `consume`; the whole attempt is retried. */
  private transfer<T>(
    start: URL,
    opts: Omit<DownloadOptions<T>, 'channel'> & {
      keyOnFirstHop: boolean;
      /** The one origin a redirect may lead to over plain http. */
      trustedOrigin: string;
      what: string;
      notFound: (status: number) => RegistryError;
    },
  ): Promise<T> {
    return withRetries(this.retry, async () => {
      const deadline = Date.now() + this.downloadTimeoutMs;
      const get = (url: URL, withKey: boolean): Promise<HttpResponse> =>
        httpGet({
          url,
          headers: this.headers(withKey, 'application/octet-stream, application/gzip, */*'),
          deadline,
          stallTimeoutMs: this.stallTimeoutMs,
          maxBytes: this.maxArchiveBytes,
          onBytes: opts.onProgress && ((received, total) => opts.onProgress?.({ received, total })),
        });
      let res = await get(start, opts.keyOnFirstHop);
      if (res.status === 404 || res.status === 410) {
        discard(res);
        throw opts.notFound(res.status);
      }
      for (let hops = 0; REDIRECT.has(res.status); hops++) {
        discard(res);
        if (hops >= this.maxRedirects) {
          throw new RegistryError('E_NETWORK', `${capitalise(opts.what)} redirected more than ${this.maxRedirects} times.`, this.reportRemedy());
        }
        res = await get(this.redirectTarget(res, opts.trustedOrigin), false);
      }
      if (res.status !== 200) {
        discard(res);
        throw this.statusError(res);
      }
      return opts.consume(res.body, { url: res.url.href, size: res.contentLength });
    });
  }

  private redirectTarget(res: HttpResponse, trustedOrigin: string): URL {
    const location = res.headers.location;
    let next: URL | undefined;
    try {
      next = location ? new URL(location, res.url) : undefined;
    } catch {
      next = undefined;
    }
    if (!next) {
      throw new RegistryError('E_NETWORK', `${res.url.href} answered HTTP ${res.status} without a valid Location.`, this.reportRemedy(), {
        status: res.status,
      });
    }
    const safe = (next.protocol === 'https:' || next.origin === trustedOrigin) && !next.username && !next.password;
    if (!safe) {
      const from = trustedOrigin === this.origin ? `The registry at ${this.baseUrl}` : trustedOrigin;
      const itself = trustedOrigin === this.origin ? 'the registry itself' : 'its own origin';
      throw new RegistryError(
        'E_NETWORK',
        `${from} redirected the download to ${next.origin}, which is neither https nor ${itself}.`,
        'Refusing an unencrypted download from another host; check the registry URL or report it to the registry operator.',
      );
    }
    return next;
  }

  /** One JSON GET with retries; undefined on 404/410. */
  private async getJson(url: URL): Promise<unknown> {
    return withRetries(this.retry, async () => {
      const res = await httpGet({
        url,
        headers: this.headers(true, 'application/json'),
        deadline: Date.now() + this.apiTimeoutMs,
        stallTimeoutMs: Math.min(this.stallTimeoutMs, this.apiTimeoutMs),
        maxBytes: this.maxJsonBytes,
      });
      if (res.status === 404 || res.status === 410) {
        discard(res);
        return undefined;
      }
      if (res.status !== 200) {
        discard(res);
        throw this.statusError(res);
      }
      const bytes = await readBody(res.body);
      try {
        return JSON.parse(bytes.toString('utf8')) as unknown;
      } catch (err) {
        throw new RegistryError('E_NETWORK', `The registry answered ${url.href} with something that is not JSON.`, this.reportRemedy(), {
          cause: err,
        });
      }
    });
  }

  private shaped<T>(url: URL, parse: () => T): T {
    try {
      return parse();
    } catch (err) {
      if (!(err instanceof ShapeError)) throw err;
      throw new RegistryError('E_NETWORK', `The registry's answer to ${url.href} is malformed: ${err.message}.`, this.reportRemedy(), { cause: err });
    }
  }

  private statusError(res: HttpResponse): RegistryError {
    const { status } = res;
    const where = res.url.origin === this.origin ? `The registry at ${this.baseUrl}` : res.url.origin;
    if (status === 429) {
      return new RegistryError('E_NETWORK', `${where} is rate-limiting requests (HTTP 429).`, 'Wait a minute and try again.', {
        status,
        retryable: true,
        retryAfterMs: parseRetryAfter(res.headers['retry-after']),
      });
    }
    if (status >= 500) {
      return new RegistryError('E_NETWORK', `${where} answered HTTP ${status} for ${res.url.href}.`, 'The registry may be down; try again later.', {
        status,
        retryable: true,
      });
    }
    if (status === 401 || status === 403) {
      return new RegistryError('E_NETWORK', `${where} refused ${res.url.href} (HTTP ${status}).`, 'Set SWAMP_API_KEY to a valid API key.', { status });
    }
    return new RegistryError('E_NETWORK', `${where} answered HTTP ${status} for ${res.url.href}.`, this.reportRemedy(), { status });
  }

  private unknownExtension(name: string): RegistryError {
    return new RegistryError(
      'E_NOT_FOUND',
      `Extension ${name} was not found in the registry at ${this.baseUrl}.`,
      `Check the name, or point '--registry' (or SWAMP_CLUB_URL) at the registry that publishes it.`,
    );
  }

  private reportRemedy(): string {
    return `Check that ${this.baseUrl} is a Swamp registry ('--registry' or SWAMP_CLUB_URL).`;
  }

  private apiUrl(path: string, channel: Channel = 'stable'): URL {
    const url = new URL(`${this.baseUrl}/api/v1/extensions/${path}`);
    if (channel !== 'stable') url.searchParams.set('channel', channel);
    return url;
  }

  private headers(withKey: boolean, accept: string): Record<string, string> {
    const h: Record<string, string> = {
      accept,
      'accept-encoding': 'identity',
      'user-agent': `swamp-store (node ${process.version})`,
    };
    if (withKey && this.apiKey) h['x-api-key'] = this.apiKey;
    return h;
  }
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function createRegistryClient(options: RegistryClientOptions = {}): RegistryClient {
  return new RegistryClient(options);
}
