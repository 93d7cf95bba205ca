import type { request } from 'node:http';

/**
 * node:http or node:https, loaded at the first request. node:https alone loads tls, net and
 * the http client (~60 built-in modules, 8-10 ms of start-up on Node 20): a pull answered from
 * the store, which never opens a socket, should not pay for it.
 */
export async function loadHttpModule(secure: boolean): Promise<{ request: typeof request }> {
  return secure ? import('node:https') : import('node:http');
}
