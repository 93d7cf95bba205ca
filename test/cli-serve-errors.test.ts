// registry serve: a port in use is a usage error with a remedy (not E_INTERNAL),
// and --log lines carry the status code each request got.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.mjs';
import { useSandbox } from './helpers/sandbox.js';

const box = useSandbox('cli-serve-');

describe('registry serve', () => {
  it('EADDRINUSE: E_USAGE, exit 2, a remedy naming --port', async () => {
    const taken = http.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((taken.address() as AddressInfo).port);
      const r = await runCli(['registry', 'serve', '--dir', box.root, '--port', port, '--json']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.errorJson).toMatchObject({ code: 'E_USAGE' });
      expect(r.errorJson?.error).toContain(`Port ${port}`);
      expect(r.errorJson?.remedy).toContain('--port');
    } finally {
      taken.close();
    }
  });

  it('--log: one line per request with its status code', async () => {
    let url = '';
    const r = await runCli(['registry', 'serve', '--dir', box.root, '--log'], {
      timeoutMs: 30_000,
      onSpawn: (child) => {
        child.stdout?.on('data', (d: Buffer) => {
          const m = /at (http:\/\/\S+)/.exec(String(d));
          if (!m || url) return;
          url = m[1]!;
          void fetch(`${url}/api/v1/extensions/@no/such`)
            .then((res) => res.text())
            .then(() => fetch(`${url}/nothing-here`))
            .then((res) => res.text())
            .then(() => setTimeout(() => child.kill('SIGTERM'), 100));
        });
      },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^GET \/api\/v1\/extensions\/@no\/such 404 \d+ms$/m);
    expect(r.stderr).toMatch(/^GET \/nothing-here 404 \d+ms$/m);
  });
});
