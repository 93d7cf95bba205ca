import type http from 'node:http';
import { loadHttpModule } from '@swamp-store/primitives';
import type { Readable } from 'node:stream';
import { OciError } from './errors.js';

export interface Timeouts {
  /** TCP (and TLS) connect. */
  connectMs: number;
  /** No byte either way for this long. */
  stallMs: number;
  /** The whole exchange, body included, must end by this absolute time (Date.now() scale). */
  deadline: number;
}

export interface SendOptions {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: URL;
  headers: Record<string, string>;
  /** A Buffer, or a stream made fresh for each attempt (a 401 retry sends the body again). */
  body?: Buffer | (() => Readable);
  timeouts: Timeouts;
}

export interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  url: URL;
  /** Consume or call `discard`; the timers run until it ends. */
  body: http.IncomingMessage;
}

/**
 * One request over node:http(s): no fetch(), so nothing decodes
 * Content-Encoding, the body is a Node stream the store can pipe from, and the
 * three timeouts a cache needs (connect, stall, overall) are in one place.
 */
export async function send(opts: SendOptions): Promise<Response> {
  const { url, timeouts } = opts;
  const mod = await loadHttpModule(url.protocol === 'https:');
  return new Promise<Response>((resolve, reject) => {
    let settled = false;
    let response: http.IncomingMessage | undefined;
    const timers: NodeJS.Timeout[] = [];
    const clear = (): void => {
      for (const t of timers) clearTimeout(t);
      timers.length = 0;
    };
    const fail = (message: string, cause?: unknown): void => {
      clear();
      const err = new OciError('E_REMOTE', message, undefined, { cause });
      if (!settled) {
        settled = true;
        req.destroy();
        reject(err);
      } else {
        req.destroy(err);
        response?.destroy(err);
      }
    };
    const req = mod.request(url, { method: opts.method, headers: opts.headers, agent: false });
    const left = timeouts.deadline - Date.now();
    if (left <= 0) {
      req.destroy();
      reject(new OciError('E_REMOTE', `Timed out before ${opts.method} ${url.origin}${url.pathname}.`));
      return;
    }
    timers.push(setTimeout(() => fail(`Timed out after ${Math.round(left)} ms: ${opts.method} ${url.origin}${url.pathname}.`), left));
    const connectTimer = setTimeout(() => fail(`Could not connect to ${url.origin} within ${timeouts.connectMs} ms.`), timeouts.connectMs);
    timers.push(connectTimer);
    req.on('socket', (socket) => {
      if (!socket.connecting) clearTimeout(connectTimer);
      else socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
    });
    req.setTimeout(timeouts.stallMs, () => fail(`${url.origin} stalled for ${timeouts.stallMs} ms: ${opts.method} ${url.pathname}.`));
    req.on('error', (err: NodeJS.ErrnoException) => fail(`Could not reach ${url.origin}: ${err.code ?? err.message}.`, err));
    req.on('response', (res) => {
      response = res;
      res.on('end', clear);
      res.on('close', clear);
      res.on('error', () => undefined); // surfaced to the consumer through the stream
      settled = true;
      resolve({ status: res.statusCode ?? 0, headers: res.headers, url, body: res });
    });
    const body = opts.body;
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else {
      const stream = body();
      stream.on('error', (err) => fail(`Could not read the upload for ${url.origin}: ${err.message}.`, err));
      stream.pipe(req);
    }
  });
}

/** Frees the socket of a response whose body we do not want. */
export function discard(res: Response): void {
  res.body.resume();
  res.body.on('error', () => undefined);
}

/** A small JSON or text body, size-limited (hostile remotes). */
export async function readSmall(res: Response, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of res.body) {
    n += (chunk as Buffer).length;
    if (n > maxBytes) {
      res.body.destroy();
      throw new OciError('E_REMOTE', `${res.url.origin} answered ${res.url.pathname} with more than ${maxBytes} bytes.`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
