// The CLI as a user installs it: `npm pack` of packages/cli gives one
// self-contained tarball (the esbuild bundle; no workspace package needed at
// run time), and `npm install -g <tarball>` into a temporary prefix gives a
// working `swamp-store` outside this repository.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, makeRepo } from './helpers/cli.mjs';
import { useSandbox } from './helpers/sandbox.js';
import { writeSpec } from './fixtures/worktree-support.js';

const box = useSandbox('cli-pack-');
let tarball: string;

beforeAll(() => {
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', box.root], { cwd: path.join(ROOT, 'packages/cli'), encoding: 'utf8' });
  tarball = path.join(box.root, (JSON.parse(out) as Array<{ filename: string }>)[0]!.filename);
}, 120_000);

describe('npm pack + npm install -g', () => {
  it('the tarball holds the bundle and declares no workspace package', () => {
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).trim().split('\n');
    expect(files).toContain('package/bin/swamp-store.js');
    expect(files).toContain('package/bundle/main.js');
    expect(files.filter((f) => f.startsWith('package/dist/'))).toEqual([]);
    const pkg = JSON.parse(execFileSync('tar', ['xzOf', tarball, 'package/package.json'], { encoding: 'utf8' })) as { dependencies?: Record<string, string> };
    expect(Object.values(pkg.dependencies ?? {}).filter((v) => v.startsWith('workspace:'))).toEqual([]);
  });

  it('installs into a temporary prefix and works from anywhere: --version and a pull', async () => {
    const prefix = path.join(box.root, 'prefix');
    execFileSync('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', tarball], { cwd: box.root, stdio: 'pipe' });
    const bin = path.join(prefix, 'bin', 'swamp-store');
    // Only the prefix and Node on PATH, run outside the workspace: nothing of this repository can be found.
    const env = { PATH: `${path.join(prefix, 'bin')}:${path.dirname(process.execPath)}`, HOME: box.root, SWAMP_STORE_DIR: path.join(box.root, 'store') };
    const version = execFileSync(bin, ['--version'], { cwd: box.root, env, encoding: 'utf8' }).trim();
    expect(version).toBe((JSON.parse(fs.readFileSync(path.join(ROOT, 'packages/cli/package.json'), 'utf8')) as { version: string }).version);
    const { file } = await writeSpec(path.join(box.root, 'archives'), { name: '@pack/ext', version: '2026.08.01.1', files: { 'models/a.ts': 'a\n' } });
    const repo = makeRepo(path.join(box.root, 'repo'));
    const pulled = JSON.parse(execFileSync('swamp-store', ['extension', 'pull', file, '--json'], { cwd: repo, env, encoding: 'utf8' })) as { extensions: Array<{ name: string; store: string }> };
    expect(pulled.extensions).toMatchObject([{ name: '@pack/ext', store: 'extracted' }]);
    expect(fs.readFileSync(path.join(repo, '.swamp/pulled-extensions/@pack/ext/models/a.ts'), 'utf8')).toBe('a\n');
  }, 120_000);
});
