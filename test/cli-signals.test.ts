// Ctrl-C and SIGTERM, with real processes and real signals: the command stops,
// removes what it made (a partial download, a staging tree in the store, a
// worktree transaction still staging), says what state the worktree is in and
// what to run, and exits 130. A later gc counts what an interrupted (SIGKILLed)
// command left, byte for byte.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeRepo, runCli } from './helpers/cli.mjs';
import { useSandbox } from './helpers/sandbox.js';
import { cliEnv, writeSpec } from './fixtures/worktree-support.js';

const box = useSandbox('cli-signals-');
let big: string;
const FILES = 3000;

beforeAll(async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < FILES; i++) files[`models/m${i}.ts`] = `export const x${i} = '${'y'.repeat(500)}';\n`;
  ({ file: big } = await writeSpec(path.join(box.root, 'archives'), { name: '@sig/big', version: '2026.08.01.1', files }));
});

const names = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir) : []);

/** Starts the CLI and sends `signal` as soon as `ready()` holds (polled every 2 ms). */
async function interruptWhen(args: string[], storeDir: string, signal: NodeJS.Signals, ready: () => boolean) {
  let child: ChildProcess | undefined;
  let sent = false;
  const timer = setInterval(() => {
    if (!sent && child && ready()) {
      sent = true;
      child.kill(signal);
    }
  }, 2);
  const r = await runCli(args, { env: cliEnv(storeDir), onSpawn: (c) => (child = c) });
  clearInterval(timer);
  return { ...r, sent };
}

function expectNothingInFlight(storeDir: string, repo: string): void {
  expect(names(path.join(storeDir, 'v1/tmp'))).toEqual([]);
  expect(names(path.join(storeDir, 'v1/cas/tmp'))).toEqual([]);
  expect(names(path.join(storeDir, 'v1/temp-roots'))).toEqual([]);
  expect(fs.existsSync(path.join(repo, '.swamp/swamp-store/journal.json'))).toBe(false);
  expect(names(path.join(repo, '.swamp/swamp-store/staging'))).toEqual([]);
}

describe('interrupted commands', () => {
  it('SIGINT during a download removes the partial download and exits 130', async () => {
    const bytes = fs.readFileSync(big);
    // Sends part of the archive, then stalls: the pull is caught mid-download.
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(bytes.length) });
      res.write(bytes.subarray(0, bytes.length >> 1));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/big.tar.gz`;
    const storeDir = path.join(box.root, 'store-download');
    const repo = makeRepo(path.join(box.root, 'repo-download'));
    try {
      const casTmp = path.join(storeDir, 'v1/cas/tmp');
      const r = await interruptWhen(['extension', 'pull', url, '--repo-dir', repo], storeDir, 'SIGINT', () =>
        names(casTmp).some((n) => fs.statSync(path.join(casTmp, n), { throwIfNoEntry: false })?.size),
      );
      expect(r.sent).toBe(true);
      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).toMatch(/^Error: Interrupted by SIGINT\. Removed this command's unfinished work in the store \(\d+(\.\d)? KiB\)\./);
      expect(r.stderr).toContain('Run the same command again');
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expectNothingInFlight(storeDir, repo);
      expect(fs.existsSync(path.join(repo, 'extensions/models/upstream_extensions.json'))).toBe(false);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('SIGTERM during extraction removes the staging tree and exits 130 (--json: one coded error)', async () => {
    const storeDir = path.join(box.root, 'store-extract');
    const repo = makeRepo(path.join(box.root, 'repo-extract'));
    const tmp = path.join(storeDir, 'v1/tmp');
    const r = await interruptWhen(['extension', 'pull', big, '--repo-dir', repo, '--json'], storeDir, 'SIGTERM', () => names(tmp).some((n) => n.startsWith('tree-')));
    expect(r.sent).toBe(true);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stdout).toBe('');
    expect(r.errorJson).toMatchObject({ code: 'E_INTERRUPTED' });
    expect(r.errorJson?.error).toMatch(/Interrupted by SIGTERM/);
    expectNothingInFlight(storeDir, repo);
    expect(names(path.join(storeDir, 'v1/trees'))).toEqual([]);
    // The archive itself was complete: it stays, and the next pull just unpacks it.
    const again = await runCli(['extension', 'pull', big, '--repo-dir', repo, '--json'], { env: cliEnv(storeDir) });
    expect(again.code, again.stderr).toBe(0);
  });

  it('SIGINT while linking into the worktree rolls the transaction back or lets it finish; verify passes', async () => {
    const storeDir = path.join(box.root, 'store-link');
    const warm = await runCli(['extension', 'pull', big, '--repo-dir', makeRepo(path.join(box.root, 'repo-warm'))], { env: cliEnv(storeDir) });
    expect(warm.code, warm.stderr).toBe(0);
    const repo = makeRepo(path.join(box.root, 'repo-link'));
    const r = await interruptWhen(['extension', 'pull', big, '--repo-dir', repo], storeDir, 'SIGINT', () => fs.existsSync(path.join(repo, '.swamp/swamp-store/journal.json')));
    expect(r.sent).toBe(true);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/The worktree in .*repo-link (is consistent|was being updated)/);
    expectNothingInFlight(storeDir, repo);
    const verify = await runCli(['extension', 'verify', '--repo-dir', repo, '--json'], { env: cliEnv(storeDir) });
    expect(verify.code, verify.stdout).toBe(0);
  });

  it('gc frees and counts exactly what a SIGKILLed extraction left', async () => {
    const storeDir = path.join(box.root, 'store-kill');
    const repo = makeRepo(path.join(box.root, 'repo-kill'));
    const tmp = path.join(storeDir, 'v1/tmp');
    const r = await interruptWhen(['extension', 'pull', big, '--repo-dir', repo], storeDir, 'SIGKILL', () =>
      names(tmp).some((n) => n.startsWith('tree-') && names(path.join(tmp, n, 'ext', 'models')).length > 100),
    );
    expect(r.signal).toBe('SIGKILL');
    const left = names(tmp).map((n) => path.join(tmp, n));
    expect(left).toHaveLength(1);
    let bytes = 0;
    const walk = (p: string): void => {
      const st = fs.lstatSync(p);
      if (st.isDirectory()) for (const n of fs.readdirSync(p)) walk(path.join(p, n));
      else bytes += st.size;
    };
    left.forEach(walk);
    const gc = await runCli(['cache', 'gc', '-y', '--json'], { env: cliEnv(storeDir) });
    expect(gc.code, gc.stderr).toBe(0);
    const removed = (gc.json as { removed: { leftovers: number; leftoverBytes: number; tempRoots: number } }).removed;
    expect(removed.leftovers).toBe(1);
    expect(removed.leftoverBytes).toBe(bytes);
    expect(removed.tempRoots).toBe(1);
    expect(names(tmp)).toEqual([]);
    const human = await runCli(['cache', 'gc', '-y', '--dry-run'], { env: cliEnv(storeDir) });
    expect(human.stdout).toContain('0 trees');
  });
});
