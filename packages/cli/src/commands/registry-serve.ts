import path from 'node:path';
import { CliError } from '../errors.js';
import { settings } from '../settings.js';
import type { CommandOptions } from '../command-options.js';
import type { Output } from '../output.js';

export async function serve(_args: string[], opts: CommandOptions, out: Output): Promise<number> {
  const port = Number(opts.port ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError('E_USAGE', `Invalid --port '${String(opts.port)}'.`, 'Use a port number from 0 to 65535 (0 picks a free one).');
  const { serveRegistry } = await import('@swamp-store/registry/server');
  await serveRegistry({
    dir: path.resolve(String(opts.dir)),
    host: String(opts.host ?? '127.0.0.1'),
    port,
    ...(settings().apiKey ? { apiKey: settings().apiKey } : {}),
    out: (line) => out.line(line),
    // --log: one line per request on stderr, so a script (the README's demo)
    // can count what the server actually served without running it in-process.
    ...(opts.log ? { log: (line: string) => out.notice(line) } : {}),
  });
  return 0;
}
