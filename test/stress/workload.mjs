// A seeded, randomized multi-agent workload (issue 6). K concurrent agents, each
// a stream of real `swamp-store` processes, over W worktrees and E generated
// extensions (several versions each, some with dependencies) served by a local
// registry; ops mix pull, pull of another version, rm, install, gc, verify, list.
// With `kill`, random ops are SIGKILLed mid-flight; afterwards one
// `extension install` per worktree must heal everything. Then the checker runs.
import fs from 'node:fs';
import path from 'node:path';
import { startRegistryServer } from '@swamp-store/registry/server';
import { buildExtensionArchive } from '../helpers/archive-builder.mjs';
import { makeRepo, runCli, tempDir } from '../helpers/cli.mjs';
import { generateExtension, nextVersion, prng } from '../helpers/sample-corpus.mjs';
import { checkInvariants } from './invariants.mjs';

/** Errors an op may legitimately end with under contention; anything else is a failure. */
const EXPECTED = {
  rm: new Set(['E_NOT_INSTALLED']),
};

function pick(rand, items) {
  return items[Math.floor(rand() * items.length)];
}

/** E extensions x V versions as archives in a registry folder; every 5th depends on the next. */
export function generateRegistry(dir, { extensions, versions, seed }) {
  const names = Array.from({ length: extensions }, (_, i) => `@stress/ext${String(i).padStart(2, '0')}`);
  const catalog = new Map();
  names.forEach((name, i) => {
    const dependencies = i % 5 === 0 && extensions > 1 ? [names[(i + 1) % extensions]] : [];
    let spec = generateExtension({ name, version: '2026.01.01.1', files: 7 + ((seed + i) % 14), bytes: 20_000 + ((seed * 7919 + i * 104_729) % 120_000), seed: seed * 1000 + i, dependencies, withBundles: i % 3 === 0, withSkills: i % 4 === 0 });
    const list = [];
    for (let v = 0; v < versions; v++) {
      if (v > 0) spec = nextVersion(spec);
      fs.writeFileSync(path.join(dir, `${name.slice(1).replace('/', '-')}-${spec.version}.tar.gz`), buildExtensionArchive(spec));
      list.push(spec.version);
    }
    catalog.set(name, list);
  });
  return catalog;
}

export async function runWorkload(opts = {}) {
  const seed = opts.seed ?? 1;
  const ops = opts.ops ?? 200;
  const agents = opts.agents ?? 8;
  const nWorktrees = opts.worktrees ?? 4;
  const nExtensions = opts.extensions ?? 20;
  const killRate = opts.killRate ?? 0;
  const log = opts.log ?? (() => {});
  const rand = prng(seed);
  const root = opts.dir ?? tempDir('swamp-store-stress-');
  const storeDir = path.join(root, 'store');
  const regDir = path.join(root, 'registry');
  fs.mkdirSync(regDir, { recursive: true });
  const catalog = generateRegistry(regDir, { extensions: nExtensions, versions: opts.versions ?? 3, seed });
  const names = [...catalog.keys()];
  const worktrees = Array.from({ length: nWorktrees }, (_, i) => makeRepo(path.join(root, `wt${i}`), { tools: i % 2 ? ['claude', 'cursor'] : undefined }));
  const server = await startRegistryServer({ dir: regDir });
  const env = { SWAMP_STORE_DIR: storeDir, SWAMP_CLUB_URL: server.url, SWAMP_STORE_LOCK_TIMEOUT_MS: '120000' };
  const stats = { ops: 0, byOp: {}, failures: [], kills: 0, killedMidWork: 0, gcRuns: 0, started: Date.now() };

  const planOp = () => {
    const r = rand();
    const wt = pick(rand, worktrees);
    const name = pick(rand, names);
    if (r < 0.35) return { op: 'pull', args: ['extension', 'pull', name, '--json', '--repo-dir', wt] };
    if (r < 0.5) return { op: 'pull-version', args: ['extension', 'pull', `${name}@${pick(rand, catalog.get(name))}`, '--json', '--repo-dir', wt] };
    if (r < 0.65) return { op: 'rm', args: ['extension', 'rm', name, '-y', '--json', '--repo-dir', wt] };
    if (r < 0.75) return { op: 'install', args: ['extension', 'install', '--json', '--repo-dir', wt] };
    if (r < 0.85) return { op: 'gc', args: ['cache', 'gc', '--max-age', '0', '-y', '--json'] };
    if (r < 0.95) return { op: 'verify', args: ['extension', 'verify', '--json', '--repo-dir', wt] };
    return { op: 'list', args: ['extension', 'list', '--json', '--repo-dir', wt] };
  };
  const plan = Array.from({ length: ops }, planOp);
  const killPlan = plan.map(() => (rand() < killRate ? 5 + Math.floor(rand() * 400) : undefined));

  let next = 0;
  const agent = async () => {
    while (next < plan.length) {
      const i = next++;
      const { op, args } = plan[i];
      const killAfter = killPlan[i];
      let timer;
      const res = await runCli(args, {
        env,
        onSpawn: (child) => {
          if (killAfter !== undefined) timer = setTimeout(() => child.kill('SIGKILL'), killAfter);
        },
      });
      clearTimeout(timer);
      stats.ops++;
      stats.byOp[op] = (stats.byOp[op] ?? 0) + 1;
      if (op === 'gc' && res.code === 0) stats.gcRuns++;
      if (res.signal === 'SIGKILL') {
        stats.kills++;
        stats.killedMidWork++;
        continue;
      }
      if (res.code === 0) continue;
      // verify may see another agent's work in flight; it is informational during the run.
      if (op === 'verify' && res.code === 1 && res.json && !res.errorJson) continue;
      const code = res.errorJson?.code;
      if (code && EXPECTED[op]?.has(code)) continue;
      stats.failures.push({ i, op, args: args.join(' '), code: res.code, error: res.errorJson ?? res.stderr.slice(-600) });
      log(`FAIL op ${i} ${op}: ${res.errorJson?.code ?? res.code} ${res.errorJson?.error ?? res.stderr.slice(0, 200)}`);
    }
  };
  const progress = setInterval(() => log(`${stats.ops}/${ops} ops, ${stats.failures.length} failures, ${stats.kills} kills`), 5000);
  try {
    await Promise.all(Array.from({ length: agents }, agent));
  } finally {
    clearInterval(progress);
  }
  const healing = [];
  if (killRate > 0) {
    for (const wt of worktrees) {
      const res = await runCli(['extension', 'install', '--json', '--repo-dir', wt], { env });
      if (res.code !== 0) healing.push(`${wt}: install after kills exit ${res.code}: ${res.stderr.slice(0, 300)}`);
    }
  }
  if (killRate > 0) {
    // Killed extractions and ingests leave tmp/ folders of dead pids; sweeping them is gc's job.
    const gc = await runCli(['cache', 'gc', '-y', '--json'], { env });
    if (gc.code !== 0) healing.push(`final gc exit ${gc.code}: ${gc.stderr.slice(0, 300)}`);
  }
  await server.close();
  const violations = [...healing, ...(await checkInvariants({ storeDir, worktrees }))];
  const report = {
    seed,
    ops: stats.ops,
    agents,
    worktrees: nWorktrees,
    extensions: nExtensions,
    byOp: stats.byOp,
    gcRuns: stats.gcRuns,
    kills: stats.kills,
    failures: stats.failures,
    violations,
    downloads: server.stats.downloads,
    seconds: Math.round((Date.now() - stats.started) / 100) / 10,
    dir: root,
  };
  if (!opts.keep && violations.length === 0 && stats.failures.length === 0) fs.rmSync(root, { recursive: true, force: true });
  return report;
}
