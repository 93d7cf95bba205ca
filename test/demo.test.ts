// The README's main job runs in the suite: `node test/demo/main.mjs --json`,
// in its own temporary directory, with CI=true and no TTY, and its report's
// figures are asserted against what the demo set up.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.mjs';
import { useSandbox } from './helpers/sandbox.js';

const WORKTREES = 4;
/** @demo/aws-ec2, @demo/git, @demo/slack, @demo/postgres and the pinned dependency @demo/aws-core. */
const EXTENSIONS = ['@demo/aws-core', '@demo/aws-ec2', '@demo/git', '@demo/postgres', '@demo/slack'];

interface DemoRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runDemo(args: string[], tmp: string): Promise<DemoRun> {
  return new Promise((resolve, reject) => {
    // TMPDIR: the demo makes its own folder under os.tmpdir(); pointing that
    // here lets the test see that it cleans up after itself.
    const child = spawn(process.execPath, [path.join(ROOT, 'test/demo/main.mjs'), ...args], {
      cwd: tmp,
      env: { ...process.env, CI: 'true', TMPDIR: tmp, SWAMP_STORE_DIR: path.join(tmp, 'must-not-be-used') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 110_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the README main job (pnpm demo)', () => {
  const box = useSandbox('swamp-store-demo-test-');
  let run: DemoRun;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let report: any;

  beforeAll(async () => {
    run = await runDemo(['--json', '--worktrees', String(WORKTREES)], box.root);
    report = run.stdout.trim() ? JSON.parse(run.stdout) : undefined;
  }, 120_000);

  it('exits 0 with one JSON report on stdout and progress on stderr', () => {
    expect(run.code, run.stderr).toBe(0);
    expect(report).toMatchObject({ ok: true, worktrees: WORKTREES, processes: WORKTREES, errors: [] });
    expect(report.checks.filter((c: { ok: boolean }) => !c.ok)).toEqual([]);
    expect(run.stderr).toMatch(/\[demo .*\] Pulling .* into all 4 worktrees at once/);
    expect(run.stderr.split('\n').filter((l) => /\] wt-\d+: pulled 5 extensions/.test(l))).toHaveLength(WORKTREES);
  });

  it('installs the same extensions everywhere, the dependency at its pinned version', () => {
    expect(report.extensions.map((e: { name: string }) => e.name)).toEqual(EXTENSIONS);
    expect(report.extensions.find((e: { name: string }) => e.name === '@demo/aws-core').version).toBe('2026.08.01.1');
    expect(report.pulls).toBe(WORKTREES * EXTENSIONS.length);
    expect(report.verify).toEqual({ ok: WORKTREES, of: WORKTREES });
  });

  it('extracts and downloads each distinct extension exactly once', () => {
    expect(report.extractions).toBe(EXTENSIONS.length);
    expect(report.downloads).toBe(EXTENSIONS.length);
    expect(report.serverDownloads).toBe(EXTENSIONS.length);
    expect(report.extractions + report.waited + report.hits).toBe(report.pulls);
  });

  it('hardlinks every non-bundle file to the store and copies only bundles', () => {
    const f = report.files;
    expect(f.nonBundle).toBeGreaterThan(100);
    expect(f.nonBundleHardlinked).toBe(f.nonBundle);
    expect(f.bundle).toBeGreaterThan(0);
    expect(f.bundleCopied).toBe(f.bundle);
    expect(f.placed).toBe(f.hardlinked + f.copied);
    // The CLI's own counts agree with what lstat found.
    expect(report.links.hardlink).toBe(f.hardlinked);
    expect(report.links.copy + report.links.reflink).toBe(f.copied);
  });

  it('takes far fewer physical bytes than logical ones', () => {
    const b = report.bytes;
    expect(b.source).toContain('cache ls');
    expect(b.physical).toBeLessThan(b.logical * 0.7);
    // Store (trees + archives) plus 4 worktrees cost less than 4 plain installs.
    expect(b.physical).toBeLessThan(b.worktreesLogical);
  });

  it("leaves nothing behind and never touches the caller's store", () => {
    expect(fs.readdirSync(box.root)).toEqual([]);
  });
});
