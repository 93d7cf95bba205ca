import { startRegistryServer, type RegistryServer } from './server.js';

export interface ServeRegistryOptions {
  dir: string;
  host?: string;
  port?: number;
  apiKey?: string;
  /** Where the URL line goes; default stdout. */
  out?: (line: string) => void;
  /** Per-request log; default none. */
  log?: (line: string) => void;
  /** Stops serving when aborted (tests); SIGINT and SIGTERM always do. */
  signal?: AbortSignal;
  /** Called once listening, e.g. to learn the port chosen for `--port 0`. */
  onListening?: (server: RegistryServer) => void;
}

/**
 * `swamp-store registry serve --dir DIR [--host] [--port]`: prints the URL and
 * serves until SIGINT/SIGTERM (or `signal`), then closes the server so the
 * process exits on its own with no sockets left open.
 */
export async function serveRegistry(options: ServeRegistryOptions): Promise<void> {
  const server = await startRegistryServer({
    dir: options.dir,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    ...(options.apiKey !== undefined && { apiKey: options.apiKey }),
    ...(options.log && { log: options.log }),
  });
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  out(`Serving ${options.dir} at ${server.url}`);
  options.onListening?.(server);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      options.signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (options.signal?.aborted) stop();
    else options.signal?.addEventListener('abort', stop);
  });
  await server.close();
}
