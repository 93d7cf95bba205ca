import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { RegistryError } from '../errors.js';
import { isChannel, type Channel } from '../versions.js';
import { Catalog, findVersion, versionsOf, type CatalogEntry } from './catalog.js';

export interface RegistryServerOptions {
  /** Folder of `*.tar.gz` archives; see catalog.ts for the channel subfolders. */
  dir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** When set, API routes answer 401 without this `x-api-key`; archive files never need it. */
  apiKey?: string;
  /** When false, every checksum route answers 404 (a registry that knows none: installs are unverified). */
  checksums?: boolean;
  log?: (line: string) => void;
}

export interface RegistryServerStats {
  /** Requests per route: info, latest, checksum, download, files, other. */
  requests: Record<string, number>;
  /** Archive bodies served (GETs of /files/...). */
  downloads: number;
  /** The same, per archive sha256: proves how often each archive left the registry. */
  downloadsBySha256: Record<string, number>;
  /** Archive requests that carried an `x-api-key` header (a client leaking its key to the redirect target). */
  filesWithApiKey: number;
}

export interface RegistryServer {
  url: string;
  port: number;
  close(): Promise<void>;
  stats: RegistryServerStats;
}

type Route =
  | { kind: 'info' | 'latest'; name: string }
  | { kind: 'checksum' | 'download'; name: string; version: string }
  | { kind: 'files'; sha256: string };

const API_PREFIX = '/api/v1/extensions/';

/**
 * A real HTTP server speaking the registry API over a folder of archives, for
 * tests, demos and air-gapped mirrors. `/download` answers 302 to
 * `/files/<sha256>.tar.gz` on the same origin, like the real registry's
 * redirect to storage.
 */
export async function startRegistryServer(options: RegistryServerOptions): Promise<RegistryServer> {
  const dir = path.resolve(options.dir);
  const st = await fsp.stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) {
    throw new RegistryError('E_NOT_FOUND', st ? `${dir} is not a folder.` : `Directory ${dir} does not exist.`, `Pass a folder of extension archives with '--dir'.`);
  }
  const log = options.log ?? (() => {});
  const catalog = new Catalog(dir, log);
  await catalog.refresh();
  const stats: RegistryServerStats = { requests: {}, downloads: 0, downloadsBySha256: {}, filesWithApiKey: 0 };
  let baseUrl = '';

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log(`Error serving ${req.url}: ${(err as Error).message}`);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const route = parseRoute(rawPath);
    const routeName = route?.kind ?? 'other';
    stats.requests[routeName] = (stats.requests[routeName] ?? 0) + 1;
    // Logged when the response is done, so the line carries the status the client got.
    const started = Date.now();
    res.once('finish', () => log(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`));
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'method not allowed' });
    if (!route) return sendJson(res, 404, { error: 'not found' });

    if (route.kind === 'files') {
      if (req.headers['x-api-key'] !== undefined) stats.filesWithApiKey++;
      const entry = (await catalog.refresh()).find((e) => e.sha256 === route.sha256);
      if (!entry) return sendJson(res, 404, { error: 'not found' });
      return sendFile(req, res, entry);
    }

    if (options.apiKey !== undefined && req.headers['x-api-key'] !== options.apiKey) {
      return sendJson(res, 401, { error: 'invalid or missing API key' });
    }
    const channelParam = query.get('channel') ?? 'stable';
    if (!isChannel(channelParam)) return sendJson(res, 400, { error: `unknown channel ${channelParam}` });
    const channel: Channel = channelParam;
    const entries = await catalog.refresh();

    switch (route.kind) {
      case 'info': {
        const all = versionsOf(entries, route.name, 'beta');
        if (all.length === 0) return sendJson(res, 404, { error: 'extension not found' });
        const newest = (ch: Channel): string | null => all.find((e) => e.channel === ch)?.version ?? null;
        const head = versionsOf(entries, route.name, 'stable')[0] ?? all[0];
        return sendJson(res, 200, {
          name: route.name,
          description: head?.description ?? null,
          latestVersion: newest('stable'),
          latestRc: newest('rc'),
          latestBeta: newest('beta'),
          deprecatedAt: null,
          yankedAt: null,
          dependencies: head?.dependencies ?? [],
          versions: all.map((e) => ({ version: e.version, channel: e.channel, publishedAt: new Date(e.mtimeMs).toISOString() })),
        });
      }
      case 'latest': {
        const newest = versionsOf(entries, route.name, channel)[0];
        if (!newest) return sendJson(res, 404, { error: `no ${channel} release` });
        return sendJson(res, 200, {
          latestVersion: newest.version,
          latestVersionDetail: { version: newest.version, publishedAt: new Date(newest.mtimeMs).toISOString(), channel: newest.channel },
        });
      }
      case 'checksum': {
        const entry = findVersion(entries, route.name, route.version, channel);
        if (!entry || options.checksums === false) return sendJson(res, 404, { error: 'no checksum' });
        return sendJson(res, 200, { checksum: entry.sha256 });
      }
      case 'download': {
        const entry = findVersion(entries, route.name, route.version, channel);
        if (!entry) return sendJson(res, 404, { error: 'version not found' });
        res.writeHead(302, { location: `${baseUrl}/files/${entry.sha256}.tar.gz`, 'content-length': '0' });
        res.end();
        return;
      }
    }
  }

  async function sendFile(req: http.IncomingMessage, res: http.ServerResponse, entry: CatalogEntry): Promise<void> {
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(entry.file, 'r');
    } catch {
      return sendJson(res, 404, { error: 'not found' });
    }
    try {
      const { size } = await handle.stat();
      res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': String(size) });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      stats.downloads++;
      stats.downloadsBySha256[entry.sha256] = (stats.downloadsBySha256[entry.sha256] ?? 0) + 1;
      await pipeline(fs.createReadStream('', { fd: handle, autoClose: false }), res);
    } finally {
      await handle.close();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, options.host ?? '127.0.0.1', options.port ?? 0)));
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  baseUrl = `http://${host}:${address.port}`;

  return {
    url: baseUrl,
    port: address.port,
    stats,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** A port or address that cannot be used is the caller's choice to change, not a bug. */
function listenError(err: NodeJS.ErrnoException, host: string, port: number): unknown {
  if (err.code === 'EADDRINUSE') {
    return new RegistryError('E_USAGE', `Port ${port} on ${host} is already in use.`, "Pick another '--port', use '--port 0' for a free one, or stop the process that holds it.", { cause: err });
  }
  if (err.code === 'EADDRNOTAVAIL' || err.code === 'EACCES') {
    return new RegistryError('E_USAGE', `Cannot listen on ${host}:${port} (${err.code}).`, "Use an address of this machine with '--host' (e.g. 127.0.0.1) and a port above 1023.", { cause: err });
  }
  return err;
}

/** Parses `/api/v1/extensions/{name}[@{version}][/action]` with `{name}`/`{version}` percent-encoded, or `/files/<sha256>.tar.gz`. */
function parseRoute(rawPath: string): Route | undefined {
  const file = /^\/files\/([0-9a-f]{64})\.tar\.gz$/.exec(rawPath);
  if (file?.[1]) return { kind: 'files', sha256: file[1] };
  if (!rawPath.startsWith(API_PREFIX)) return undefined;
  const segments = rawPath.slice(API_PREFIX.length).split('/');
  if (segments.length > 2 || !segments[0]) return undefined;
  const [target, action] = segments as [string, string | undefined];
  const at = target.indexOf('@');
  const decode = (s: string): string | undefined => {
    try {
      return decodeURIComponent(s);
    } catch {
      return undefined;
    }
  };
  if (at === -1) {
    const name = decode(target);
    if (!name) return undefined;
    if (action === undefined) return { kind: 'info', name };
    if (action === 'latest') return { kind: 'latest', name };
    return undefined;
  }
  const name = decode(target.slice(0, at));
  const version = decode(target.slice(at + 1));
  if (!name || !version) return undefined;
  if (action === 'checksum' || action === 'download') return { kind: action, name, version };
  return undefined;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}
