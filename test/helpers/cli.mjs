// Drives the built `swamp-store` CLI as a black box, in separate OS processes.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = path.join(ROOT, 'packages/cli/bin/swamp-store.js');

let built = false;
/** Builds all packages and the CLI bundle once per test process (tsc -b is incremental: a no-op when dist is fresh). */
export function ensureBuilt() {
  if (built) return;
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', path.join(ROOT, 'packages/cli/tsconfig.json')], { stdio: 'inherit' });
  execFileSync(process.execPath, [path.join(ROOT, 'packages/cli/scripts/bundle.mjs')], { stdio: 'inherit' });
  built = true;
}

/** A fresh temp folder, removed by the caller (or left for inspection on failure). */
export function tempDir(prefix = 'swamp-store-test-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A Swamp repository: `.swamp.yaml` (optionally with tools) inside a git work tree marker. */
export function makeRepo(dir, { tools, modelsDir, git = true } = {}) {
  fs.mkdirSync(dir, { recursive: true });
  if (git && !fs.existsSync(path.join(dir, '.git'))) fs.mkdirSync(path.join(dir, '.git'));
  const lines = [];
  if (tools) lines.push(`tools: [${tools.join(', ')}]`);
  if (modelsDir) lines.push(`modelsDir: ${modelsDir}`);
  fs.writeFileSync(path.join(dir, '.swamp.yaml'), lines.join('\n') + '\n');
  return dir;
}

/**
 * Runs the CLI; resolves with {code, signal, stdout, stderr, json, ms}. `json` is
 * stdout parsed when it is JSON. Never rejects on a non-zero exit.
 */
export function runCli(args, { cwd = process.cwd(), env = {}, input, timeoutMs = 120_000, onSpawn, prefix = [] } = {}) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    // `prefix`: a command that runs node, e.g. ['setpriv', '--reuid', '65534', ...] to run as another user.
    const [cmd, ...cmdArgs] = [...prefix, process.execPath, BIN, ...args];
    const child = spawn(cmd, cmdArgs, {
      cwd,
      env: { ...process.env, CI: '1', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let json;
      try {
        json = stdout.trim() ? JSON.parse(stdout) : undefined;
      } catch {
        json = undefined;
      }
      // The --json error document is the last JSON line on stderr (notices such as lock waits may precede it).
      let errorJson;
      const last = stderr.trim().split('\n').reverse().find((l) => l.startsWith('{'));
      try {
        errorJson = last ? JSON.parse(last) : undefined;
      } catch {
        errorJson = undefined;
      }
      resolve({ code, signal, stdout, stderr, json, errorJson, ms: Date.now() - started });
    });
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}
