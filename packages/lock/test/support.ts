import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = path.resolve(packageDir, '../..');

/** Child fixtures import the built package: build it when dist is missing or older than src. */
export function ensureBuilt(): void {
  const newest = (dir: string, ext: string): number => {
    try {
      return Math.max(0, ...readdirSync(dir).filter((f) => f.endsWith(ext)).map((f) => statSync(path.join(dir, f)).mtimeMs));
    } catch {
      return 0;
    }
  };
  if (newest(path.join(packageDir, 'dist'), '.js') >= newest(path.join(packageDir, 'src'), '.ts')) return;
  execFileSync('npx', ['tsc', '-b', 'packages/lock/tsconfig.json'], { cwd: repoRoot, stdio: 'inherit' });
}

export async function makeTempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'swamp-lock-test-'));
}

export interface FixtureEvent {
  event: string;
  [key: string]: unknown;
}

export interface Child {
  proc: ChildProcessWithoutNullStreams;
  pid: number;
  /** Resolves with the first JSON line (seen or to come) that matches `event`. */
  next(event: string, timeoutMs?: number): Promise<FixtureEvent>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

export function spawnFixture(name: string, args: string[]): Child {
  const proc = spawn(process.execPath, [path.join(packageDir, 'test/fixtures', name), ...args], { cwd: repoRoot });
  const seen: FixtureEvent[] = [];
  const waiters: Array<{ event: string; resolve: (e: FixtureEvent) => void }> = [];
  let stderr = '';
  proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: proc.stdout }).on('line', (line) => {
    let parsed: FixtureEvent;
    try {
      parsed = JSON.parse(line) as FixtureEvent;
    } catch {
      return;
    }
    seen.push(parsed);
    for (const waiter of waiters.filter((w) => w.event === parsed.event)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(parsed);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    proc,
    pid: proc.pid ?? -1,
    exited,
    stderr: () => stderr,
    next(event, timeoutMs = 15_000) {
      const found = seen.find((e) => e.event === event);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${name} printed no "${event}" within ${timeoutMs} ms; stderr: ${stderr}`)),
          timeoutMs,
        );
        const fail = (): void => {
          clearTimeout(timer);
          reject(new Error(`${name} exited before printing "${event}"; stderr: ${stderr}`));
        };
        void exited.then(() => setTimeout(fail, 50));
        waiters.push({
          event,
          resolve: (e) => {
            clearTimeout(timer);
            resolve(e);
          },
        });
      });
    },
  };
}
