import type http from 'node:http';
import { loadHttpModule } from '@swamp-store/primitives';
import { PassThrough, type Readable } from 'node:stream';
import { RegistryError } from './errors.js';

/**
 * One GET over node:http/node:https rather than fetch(): an IncomingMessage is
 * already the Node Readable that the store's ingest pipes into, nothing decodes
 * Content-Encoding behind our back (a .tar.gz served with `Content-Encoding:
 * gzip` would otherwise be gunzipped and fail its checksum), and every byte
 * passes through one place that enforces the size limit and stall timer.
 */
export interface HttpGetOptions {
  url: URL;
  headers: Record<string, string>;
  /** Absolute time (Date.now() scale) by which the whole exchange, body included, must finish. */
  deadline: number;
  /** Longest wait for the next byte (headers or body) while we are ready to take it. */
  stallTimeoutMs: number;
  /** Most body bytes accepted; more aborts the transfer. */
  maxBytes: number;
  /** Called with the running byte count as the body arrives. */
  onBytes?: (received: number, total: number | undefined) => void;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  url: URL;
  /** Declared Content-Length, when the server sent a valid one. */
  contentLength: number | undefined;
  /**
   * The body. It fails with a RegistryError E_NETWORK on truncation, stall,
   * deadline or size limit. Destroy it when the body is not wanted.
   */
  body: Readable;
}

export async function httpGet(opts: HttpGetOptions): Promise<HttpResponse> {
  const { url } = opts;
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new RegistryError('E_NETWORK', `Refusing to fetch ${url.href}: only http and https URLs are supported.`);
  }
  const mod = await loadHttpModule(url.protocol === 'https:');
  return new Promise<HttpResponse>((resolve, reject) => {
    let settled = false;
    // Once the whole body has arrived, a late socket error must not destroy
    // bytes the consumer has not read yet.
    let complete = false;
    let body: PassThrough | undefined;
    let stallTimer: NodeJS.Timeout | undefined;
    let deadlineTimer: NodeJS.Timeout | undefined;

    const fail = (err: RegistryError): void => {
      if (complete) return;
      clearTimers();
      req.destroy();
      if (!settled) {
        settled = true;
        reject(err);
      } else if (body && !body.destroyed) {
        body.destroy(err);
      }
    };
    const clearTimers = (): void => {
      if (stallTimer) clearTimeout(stallTimer);
      if (deadlineTimer) clearTimeout(deadlineTimer);
      stallTimer = deadlineTimer = undefined;
    };
    const armStall = (): void => {
      if (stallTimer) clearTimeout(stallTimer);
      stallTimer = setTimeout(
        () => fail(transient(`${url.origin} sent nothing for ${seconds(opts.stallTimeoutMs)} while fetching ${url.href}.`)),
        opts.stallTimeoutMs,
      );
    };
    const pauseStall = (): void => {
      if (stallTimer) clearTimeout(stallTimer);
      stallTimer = undefined;
    };

    const req = mod.request(url, { method: 'GET', headers: opts.headers });
    const remaining = opts.deadline - Date.now();
    if (remaining <= 0) {
      req.destroy();
      reject(transient(`Timed out fetching ${url.href}.`));
      return;
    }
    deadlineTimer = setTimeout(() => fail(transient(`Timed out after ${seconds(remaining)} fetching ${url.href}.`)), remaining);
    armStall();

    req.on('error', (err: NodeJS.ErrnoException) => {
      fail(transient(`Could not reach ${url.origin}: ${err.code ?? err.message}.`, err));
    });

    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const contentLength = parseContentLength(res.headers['content-length']);
      if (contentLength !== undefined && contentLength > opts.maxBytes) {
        res.resume();
        fail(tooLarge(url, opts.maxBytes));
        return;
      }
      let received = 0;
      let ended = false;
      const out = new PassThrough();
      body = out;
      // An error that lands before the consumer attaches (the store is still
      // creating its folders) must not crash the process as an unhandled
      // 'error'; the consumer still sees it, as the stream is left errored.
      out.on('error', () => {});
      // A consumer that gives up (ingest failed, caller destroyed the body) must
      // not leave the socket open and the timers running.
      out.on('close', () => {
        if (!ended) {
          clearTimers();
          req.destroy();
        }
      });
      // Backpressure is not a stall: while the consumer is busy (disk), the
      // server is silent because we asked it to be.
      out.on('drain', () => {
        if (ended) return;
        armStall();
        res.resume();
      });
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > opts.maxBytes) {
          fail(tooLarge(url, opts.maxBytes));
          return;
        }
        opts.onBytes?.(received, contentLength);
        if (out.write(chunk)) {
          armStall();
        } else {
          pauseStall();
          res.pause();
        }
      });
      res.on('end', () => {
        ended = true;
        clearTimers();
        if (contentLength !== undefined && received !== contentLength) {
          ended = false;
          fail(truncated(url, received, contentLength));
          return;
        }
        complete = true;
        out.end();
      });
      // 'close' without 'end': the server hung up mid-body. Node reports it as
      // 'aborted'/ECONNRESET on res; we own the wording.
      res.on('error', () => {});
      res.on('close', () => {
        if (!ended) fail(truncated(url, received, contentLength));
      });
      settled = true;
      resolve({ status, headers: res.headers, url, contentLength, body: out });
    });
    req.end();
  });
}

/** Reads a whole (already size-limited) body into memory; for small JSON answers only. */
export async function readBody(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Discards a body we do not want (redirects, errors) and frees the socket. */
export function discard(res: HttpResponse): void {
  res.body.destroy();
}

function parseContentLength(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d{1,15}$/.test(v)) return undefined;
  return Number(v);
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

function transient(message: string, cause?: unknown): RegistryError {
  return new RegistryError('E_NETWORK', message, 'Check the network connection and try again.', { cause, retryable: true });
}

function truncated(url: URL, received: number, expected: number | undefined): RegistryError {
  const of = expected === undefined ? '' : ` of ${expected}`;
  return transient(`The connection to ${url.origin} closed after ${received}${of} bytes of ${url.href}.`);
}

function tooLarge(url: URL, maxBytes: number): RegistryError {
  return new RegistryError(
    'E_NETWORK',
    `The response from ${url.href} is larger than the limit of ${maxBytes} bytes.`,
    'Check that the registry URL is right; raise the limit only for a registry you trust.',
  );
}
