// Progress is for a human at a terminal: shown on a (pseudo-)TTY, one line
// per phase on stderr; never with --json or --quiet, never into a pipe.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, makeRepo, runCli } from './helpers/cli.mjs';
import { useSandbox } from './helpers/sandbox.js';
import { writeSpec } from './fixtures/worktree-support.js';

const box = useSandbox('cli-progress-');
let archive: string;
const FILES = 400;

beforeAll(async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < FILES; i++) files[`models/m${i}.ts`] = `export const x = ${i};\n`;
  ({ file: archive } = await writeSpec(path.join(box.root, 'archives'), { name: '@p/many', version: '2026.08.01.1', files }));
});

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs the CLI under `script`, which gives it a pseudo-terminal as stdin, stdout and stderr. */
function runOnTty(args: string[], storeDir: string, repo: string): Promise<{ code: number | null; screen: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, SWAMP_STORE_DIR: storeDir };
  delete env.CI;
  const cmd = [process.execPath, BIN, ...args].map(shellQuote).join(' ');
  return new Promise((resolve) => {
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let screen = '';
    child.stdout.on('data', (d) => (screen += d));
    child.on('close', (code) => resolve({ code, screen }));
  });
}

/** What a terminal would show: the last state of each line. */
const lines = (screen: string): string[] => screen.split(/\r?\n/).map((l) => (l.split('\r').pop() ?? '').split('\x1b[2K').join('')).filter(Boolean);

describe.runIf(fs.existsSync('/usr/bin/script'))('progress on a terminal', () => {
  it('shows one line per phase with counts, and the result after them', async () => {
    const repo = makeRepo(path.join(box.root, 'tty'));
    const r = await runOnTty(['extension', 'pull', archive], path.join(box.root, 'store-tty'), repo);
    expect(r.code, r.screen).toBe(0);
    const shown = lines(r.screen);
    expect(shown.find((l) => l.startsWith('Extracting'))).toMatch(new RegExp(`^Extracting @p/many: ${FILES + 1} files$`));
    expect(shown.find((l) => l.startsWith('Linking'))).toMatch(/^Linking @p\/many: (\d+) of \1 files$/);
    expect(shown.at(-1)).toMatch(/^Pulled @p\/many@2026\.08\.01\.1/);
  });

  it('shows none with --quiet or --json', async () => {
    for (const flag of ['--quiet', '--json']) {
      const repo = makeRepo(path.join(box.root, `tty${flag}`));
      const r = await runOnTty(['extension', 'pull', archive, flag], path.join(box.root, `store${flag}`), repo);
      expect(r.code, r.screen).toBe(0);
      expect(r.screen).not.toMatch(/Extracting|Linking|Downloading/);
    }
  });

  it('shows none into a pipe', async () => {
    const repo = makeRepo(path.join(box.root, 'pipe'));
    const env: Record<string, string | undefined> = { SWAMP_STORE_DIR: path.join(box.root, 'store-pipe'), CI: undefined };
    const r = await runCli(['extension', 'pull', archive, '--repo-dir', repo], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
  });
});
