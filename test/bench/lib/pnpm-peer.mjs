// The peer of issue 9's fleet rows: pnpm 10 installing the same files as 100
// packages (local tarballs) from a warm store, offline, from a frozen
// lockfile, importing by hardlink, as it does on a fleet of worktrees.
// pnpm runs as `node pnpm.cjs`, like our CLI runs as `node bin.js`, so that
// neither pays npx's start-up inside the timed runs.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const PNPM_VERSION = '10.34.8';

/** pnpm.cjs of the pinned version, fetched into npx's cache on first use; undefined when unavailable (no registry). */
export function findPnpm() {
  const r = spawnSync('npx', ['-y', `pnpm@${PNPM_VERSION}`, '--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) return undefined;
  const root = path.join(os.homedir(), '.npm', '_npx');
  for (const d of fs.existsSync(root) ? fs.readdirSync(root) : []) {
    const pkg = path.join(root, d, 'node_modules', 'pnpm', 'package.json');
    try {
      if (JSON.parse(fs.readFileSync(pkg, 'utf8')).version === PNPM_VERSION) return path.join(path.dirname(pkg), 'bin', 'pnpm.cjs');
    } catch {
      // not this one
    }
  }
  return undefined;
}

const installArgs = (store) => ['install', '--offline', '--frozen-lockfile', '--package-import-method=hardlink', '--ignore-scripts', '--reporter=silent', `--store-dir=${store}`];

/**
 * Packs each spec's files as a package tarball, installs once (warming pnpm's
 * store and writing the lockfile), and returns how to make fresh projects.
 * undefined when pnpm cannot be had here.
 */
export async function preparePnpmFleet({ dir, specs, log }) {
  const pnpm = findPnpm();
  if (!pnpm) {
    log?.(`  fleet: pnpm@${PNPM_VERSION} unavailable; its row stays empty`);
    return undefined;
  }
  const dependencies = {};
  for (const [i, spec] of specs.entries()) {
    const name = `bench-ext-${i}`;
    const src = path.join(dir, 'src', name);
    for (const [p, content] of Object.entries(spec.files)) {
      fs.mkdirSync(path.dirname(path.join(src, 'package', p)), { recursive: true });
      fs.writeFileSync(path.join(src, 'package', p), content);
    }
    fs.writeFileSync(path.join(src, 'package', 'package.json'), JSON.stringify({ name, version: '1.0.0' }));
    fs.mkdirSync(path.join(dir, 'tgz'), { recursive: true });
    execFileSync('tar', ['-czf', path.join(dir, 'tgz', `${name}.tgz`), '-C', src, 'package']);
    dependencies[name] = `file:${path.join(dir, 'tgz', `${name}.tgz`)}`;
  }
  const manifest = JSON.stringify({ name: 'bench-fleet', version: '1.0.0', private: true, dependencies });
  const store = path.join(dir, 'store');
  const template = path.join(dir, 'template');
  fs.mkdirSync(template, { recursive: true });
  fs.writeFileSync(path.join(template, 'package.json'), manifest);
  execFileSync(process.execPath, [pnpm, ...installArgs(store).filter((a) => a !== '--offline' && a !== '--frozen-lockfile')], { cwd: template, stdio: 'ignore' });
  const lock = fs.readFileSync(path.join(template, 'pnpm-lock.yaml'), 'utf8');
  return {
    pnpm,
    store,
    // Beside the template, at its depth: pnpm's lockfile records the tarballs relative to the project.
    projects(label, count) {
      return Array.from({ length: count }, (_, i) => {
        const p = path.join(dir, `${label}-${i}`);
        fs.mkdirSync(p);
        fs.writeFileSync(path.join(p, 'package.json'), manifest);
        fs.writeFileSync(path.join(p, 'pnpm-lock.yaml'), lock);
        return p;
      });
    },
  };
}

export function pnpmInstallCommand(peer) {
  return { file: process.execPath, args: [peer.pnpm, ...installArgs(peer.store)] };
}
