// `cache gc --max-age 0` in a loop, the whole time, while 8 processes pull, rm
// and install across 4 worktrees (two agents per worktree). Every command is a
// real `swamp-store` process. No command may fail, every worktree must verify
// at the end, and the last gc must leave exactly what the lockfiles name.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildExtensionArchive } from './helpers/archive-builder.mjs';
import { makeRepo, runCli, type CliResult } from './helpers/cli.mjs';
import { useSandbox } from './helpers/sandbox.js';

const WORKTREES = 4;
const AGENTS = 8;
const OPS_PER_AGENT = 25; // 200 operations in all
const NAMES = ['@gc/alpha', '@gc/beta', '@gc/gamma', '@gc/delta', '@gc/epsilon', '@gc/zeta'];
const VERSIONS = ['2026.01.01.1', '2026.02.01.1'];

const box = useSandbox('swamp-gc-stress-');
const archives = new Map<string, string>(); // `${name}@${version}` -> archive path

/** Deterministic, so a failure can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

beforeAll(() => {
  for (const name of NAMES) {
    for (const version of VERSIONS) {
      const files: Record<string, string> = { 'models/main.ts': `export const id = '${name}@${version}';\n` };
      for (let i = 0; i < 20; i++) files[`files/data-${i}.txt`] = `${name} ${version} ${i}\n`.repeat(40);
      files[`skills/${name.slice(4)}-skill/SKILL.md`] = `# ${name}\n`;
      const file = path.join(box.root, 'archives', `${name.slice(4)}-${version}.tar.gz`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, buildExtensionArchive({ name, version, files }));
      archives.set(`${name}@${version}`, file);
    }
  }
  for (let w = 0; w < WORKTREES; w++) makeRepo(path.join(box.root, `wt-${w}`));
});

const env = () => ({ SWAMP_STORE_DIR: box.store });
const cli = (args: string[]) => runCli([...args, '--json'], { cwd: box.root, env: env() });

interface Failure {
  args: string[];
  result: CliResult;
}

function lockfileChecksums(repoDir: string): string[] {
  const file = path.join(repoDir, 'extensions', 'models', 'upstream_extensions.json');
  if (!fs.existsSync(file)) return [];
  const entries = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, { checksum?: string }>;
  return Object.values(entries).flatMap((e) => (e.checksum ? [e.checksum] : []));
}

describe('cache gc under load', () => {
  it('never breaks a pull, rm or install, and leaves exactly what the worktrees use', async () => {
    const failures: Failure[] = [];
    const ops = { pull: 0, rm: 0, install: 0 };
    const gcRuns = { count: 0, treesRemoved: 0, archivesRemoved: 0 };
    let stop = false;

    const gcLoop = (async () => {
      while (!stop) {
        const args = ['cache', 'gc', '--max-age', '0', '--yes'];
        const r = await cli(args);
        gcRuns.count++;
        if (r.code !== 0) failures.push({ args, result: r });
        else {
          gcRuns.treesRemoved += r.json.removed.trees.length;
          gcRuns.archivesRemoved += r.json.removed.archives.length;
        }
        // Each gc is a whole CLI process (~0.4 s of CPU): a short pause leaves the
        // agents most of the two cores, and gc still runs all the time they do.
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    })();

    const agent = async (a: number) => {
      const random = prng(1000 + a);
      const repoDir = path.join(box.root, `wt-${a % WORKTREES}`);
      // Two agents share each worktree; each owns half of the names, so its
      // own idea of what is installed stays exact while they interleave.
      const mine = a < WORKTREES ? NAMES.slice(0, 3) : NAMES.slice(3);
      const installed = new Set<string>();
      for (let i = 0; i < OPS_PER_AGENT; i++) {
        const roll = random();
        const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
        let args: string[];
        if (roll < 0.3 && installed.size > 0) {
          const name = pick([...installed]);
          args = ['extension', 'rm', name, '--yes', '--repo-dir', repoDir];
          installed.delete(name);
          ops.rm++;
        } else if (roll < 0.45) {
          args = ['extension', 'install', '--offline', '--repo-dir', repoDir];
          ops.install++;
        } else {
          const name = pick(mine);
          const archive = archives.get(`${name}@${pick(VERSIONS)}`) as string;
          args = ['extension', 'pull', archive, '--repo-dir', repoDir];
          installed.add(name);
          ops.pull++;
        }
        const r = await cli(args);
        if (r.code !== 0) failures.push({ args, result: r });
      }
    };

    const started = Date.now();
    await Promise.all(Array.from({ length: AGENTS }, (_, a) => agent(a)));
    stop = true;
    await gcLoop;
    const seconds = (Date.now() - started) / 1000;
    const total = ops.pull + ops.rm + ops.install;
    console.log(`gc stress: ${total} operations (${ops.pull} pull, ${ops.rm} rm, ${ops.install} install) in ${seconds.toFixed(1)} s; ${gcRuns.count} gc runs removed ${gcRuns.treesRemoved} trees and ${gcRuns.archivesRemoved} archives; ${failures.length} failures`);

    expect(failures.map((f) => `${f.args.join(' ')} -> ${f.result.code}: ${f.result.stderr.trim()}`)).toEqual([]);
    expect(total).toBeGreaterThanOrEqual(200);
    expect(gcRuns.count).toBeGreaterThan(5);
    expect(gcRuns.treesRemoved).toBeGreaterThan(0);

    // Every invariant holds in every worktree.
    for (let w = 0; w < WORKTREES; w++) {
      const r = await cli(['extension', 'verify', '--repo-dir', path.join(box.root, `wt-${w}`)]);
      expect({ worktree: w, code: r.code, problems: r.json?.problems }).toEqual({ worktree: w, code: 0, problems: [] });
    }

    // Quiet now: the last gc removes everything the removed extensions left, and nothing else.
    const used = new Set<string>();
    for (let w = 0; w < WORKTREES; w++) for (const sum of lockfileChecksums(path.join(box.root, `wt-${w}`))) used.add(sum);
    await new Promise((r) => setTimeout(r, 1100)); // past the clock slack of max-age 0
    const last = await cli(['cache', 'gc', '--max-age', '0', '--yes']);
    expect(last.code, last.stderr).toBe(0);
    const ls = await cli(['cache', 'ls']);
    expect(ls.code, ls.stderr).toBe(0);
    const listedTrees = (ls.json.trees as { checksum: string }[]).map((t) => t.checksum).sort();
    const listedArchives = (ls.json.archives as { checksum: string }[]).map((t) => t.checksum).sort();
    expect(listedTrees).toEqual([...used].sort());
    expect(listedArchives).toEqual([...used].sort());
    expect(fs.readdirSync(path.join(box.store, 'v1', 'tmp'))).toEqual([]);
    expect(fs.readdirSync(path.join(box.store, 'v1', 'temp-roots'))).toEqual([]);
    expect((ls.json.roots as { alive: boolean }[]).every((r) => r.alive)).toBe(true);
  }, 300_000); // ~60 s on an idle 2-core machine; the margin is for a loaded CI runner
});
