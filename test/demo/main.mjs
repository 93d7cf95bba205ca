// The README's main job (`pnpm demo`): sample extensions served by a local
// registry, pulled into several git worktrees AT ONCE with a fresh store, and
// a report of what that cost: pulls vs downloads vs extractions, hardlinks,
// logical vs physical bytes, time. Runs with no TTY and under CI=true; leaves
// nothing behind unless --keep.
//
//   node test/demo/main.mjs [--worktrees N] [--keep] [--json]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BIN, runCli } from '../helpers/cli.mjs';
import { createWorktrees } from './git-worktrees.mjs';
import { measure } from './measure.mjs';
import { startRegistryChild } from './registry-child.mjs';
import { formatReport } from './report.mjs';
import { PINNED_CORE, writeSampleRegistry } from './sample-extensions.mjs';

const USAGE = `Usage: node test/demo/main.mjs [--worktrees N] [--keep] [--json]

  --worktrees N  git worktrees to pull into at once (default 4, at most 32)
  --keep         keep the temporary folder (store, worktrees, registry) and print its path
  --json         print the report as one JSON document on stdout`;

function parseOptions(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { worktrees: { type: 'string', default: '4' }, keep: { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
    }));
  } catch (err) {
    usageError(err.message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const worktrees = Number(values.worktrees);
  if (!Number.isInteger(worktrees) || worktrees < 1 || worktrees > 32) usageError(`--worktrees must be a whole number from 1 to 32, not '${values.worktrees}'.`);
  return { worktrees, keep: values.keep, json: values.json };
}

function usageError(message) {
  process.stderr.write(`Error: ${message}\n${USAGE}\n`);
  process.exit(2);
}

const started = Date.now();
let interrupted = false;
/** Progress: one line per step on stderr, so it shows without a TTY and never mixes into --json stdout. */
function step(text) {
  if (interrupted) return; // the steps still unwinding after Ctrl-C would only confuse
  process.stderr.write(`[demo ${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${text}\n`);
}

/**
 * The CLI's environment: the demo's own store, and none of the caller's
 * SWAMP_* settings (a real registry URL, API key, repo dir or auto-gc would
 * change what the demo measures).
 */
function cliEnv(storeDir) {
  const env = {};
  for (const k of Object.keys(process.env)) if (k.startsWith('SWAMP_')) env[k] = undefined;
  return { ...env, SWAMP_STORE_DIR: storeDir };
}

/** CLI processes still running; an interrupted demo ends them before deleting the folder they work in. */
const running = new Set();
function track(child) {
  running.add(child);
  child.on('close', () => running.delete(child));
}

async function pullAll({ worktrees, refs, registryUrl, env }) {
  const t0 = Date.now();
  // All spawned before any is awaited: the point is N agents pulling at once.
  const runs = worktrees.map((wt) =>
    runCli(['extension', 'pull', ...refs, '--repo-dir', wt, '--registry', registryUrl, '--json'], { cwd: wt, env, onSpawn: track }).then((res) => {
      const name = path.basename(wt);
      if (res.code === 0 && res.json) {
        const by = (s) => res.json.extensions.filter((e) => e.store === s).length;
        step(`${name}: pulled ${res.json.extensions.length} extensions in ${(res.ms / 1000).toFixed(1)} s (store: ${by('extracted')} extracted, ${by('waited')} waited, ${by('hit')} hit)`);
      } else {
        step(`${name}: pull FAILED (exit ${res.code}): ${res.stderr.trim()}`);
      }
      return { wt, res };
    }),
  );
  const results = await Promise.all(runs);
  return { results, pullMs: Date.now() - t0 };
}

async function verifyAll(worktrees, env) {
  const results = await Promise.all(worktrees.map((wt) => runCli(['extension', 'verify', '--repo-dir', wt, '--json'], { cwd: wt, env, onSpawn: track })));
  return { ok: results.filter((r) => r.code === 0 && r.json?.ok === true).length, of: worktrees.length };
}

function checksFor(r, expected) {
  const distinct = expected.length;
  const versions = new Map(r.extensions.map((e) => [e.name, e.version]));
  return [
    { name: 'every pull succeeded', ok: r.errors.length === 0, detail: `${r.errors.length} failed` },
    { name: 'pulls = worktrees x extensions', ok: r.pulls === r.worktrees * distinct, detail: `${r.pulls} != ${r.worktrees} x ${distinct}` },
    { name: 'one extraction per extension', ok: r.extractions === distinct, detail: `${r.extractions} extractions for ${distinct} extensions` },
    { name: 'one download per extension', ok: r.downloads === distinct && r.serverDownloads === distinct, detail: `${r.downloads} downloads (server: ${r.serverDownloads}) for ${distinct} extensions` },
    { name: 'pinned dependency version', ok: versions.get('@demo/aws-core') === PINNED_CORE, detail: `@demo/aws-core is ${versions.get('@demo/aws-core')}, the manifest pins ${PINNED_CORE}` },
    { name: 'every non-bundle file hardlinked', ok: r.files.nonBundle > 0 && r.files.nonBundleHardlinked === r.files.nonBundle, detail: `${r.files.nonBundleHardlinked} of ${r.files.nonBundle}` },
    { name: 'physical bytes below logical', ok: r.bytes.physical < r.bytes.logical, detail: `${r.bytes.physical} >= ${r.bytes.logical}` },
    { name: 'every worktree verifies', ok: r.verify.ok === r.verify.of, detail: `${r.verify.ok} of ${r.verify.of}` },
  ];
}

async function run(opts, tmp) {
  const storeDir = path.join(tmp, 'store');
  const env = cliEnv(storeDir);

  step(`Generating sample extensions in ${path.join(tmp, 'registry')}`);
  const registry = await writeSampleRegistry(path.join(tmp, 'registry'));

  step('Starting the local registry: swamp-store registry serve --dir registry --port 0');
  // spawn() drops the undefined values: the caller's SWAMP_* settings do not reach the server either.
  const server = startRegistryChild({ bin: BIN, dir: registry.dir, env: { ...process.env, ...env } });
  cleanups.push(() => server.stop());
  let serverStats, results, pullMs, verify;
  try {
    const registryUrl = await server.url;
    step(`Registry at ${registryUrl}: ${registry.archives} archives`);

    step(`Creating ${opts.worktrees} git worktrees of one repository`);
    const worktrees = createWorktrees(path.join(tmp, 'worktrees'), opts.worktrees);

    step(`Pulling ${registry.refs.join(' ')} into all ${opts.worktrees} worktrees at once (store: ${storeDir}, empty)`);
    ({ results, pullMs } = await pullAll({ worktrees, refs: registry.refs, registryUrl, env }));

    step('Checking every worktree: swamp-store extension verify');
    verify = await verifyAll(worktrees, env);
  } finally {
    // Stopped before counting: after its exit every request line is in its log.
    serverStats = await server.stop();
  }

  step('Measuring hardlinks and bytes');
  const ok = results.filter((x) => x.res.code === 0 && x.res.json);
  const entries = ok.flatMap((x) => x.res.json.extensions);
  const ls = await runCli(['cache', 'ls', '--json'], { env });
  // The store's unpacked trees (layout v1: trees/<sha256>/), listed directly so the hardlink count does not depend on `cache ls`.
  const treesDir = path.join(storeDir, 'v1', 'trees');
  const treeDirs = fs.existsSync(treesDir) ? fs.readdirSync(treesDir).filter((n) => /^[0-9a-f]{64}$/.test(n)).map((n) => path.join(treesDir, n)) : [];
  const measured = await measure({ worktrees: ok.map((x) => ({ repoDir: x.res.json.repoDir, lockfile: x.res.json.lockfile })), storeDir, treeDirs });
  const fromLs = ls.code === 0 && typeof ls.json?.physicalBytes === 'number';
  const links = { hardlink: 0, reflink: 0, copy: 0 };
  for (const e of entries) for (const k of Object.keys(links)) links[k] += e.linked?.[k] ?? 0;

  const report = {
    ok: true,
    worktrees: opts.worktrees,
    processes: results.length,
    refs: registry.refs,
    extensions: [...new Map(entries.map((e) => [e.name, { name: e.name, version: e.version, checksum: e.checksum }])).values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
    pulls: entries.length,
    downloads: entries.filter((e) => e.downloaded === true).length,
    serverDownloads: serverStats.archiveDownloads,
    apiRequests: serverStats.apiRequests,
    extractions: entries.filter((e) => e.store === 'extracted').length,
    waited: entries.filter((e) => e.store === 'waited').length,
    hits: entries.filter((e) => e.store === 'hit').length,
    links,
    files: measured.files,
    bytes: fromLs
      ? { logical: ls.json.logicalBytes, physical: ls.json.physicalBytes, worktreesLogical: measured.bytes.worktreesLogical, source: "from 'swamp-store cache ls'" }
      : { ...measured.bytes, source: "measured by the demo with lstat ('cache ls' failed)" },
    verify,
    timings: { totalMs: 0, pullMs },
    errors: results.filter((x) => !(x.res.code === 0 && x.res.json)).map((x) => `${path.basename(x.wt)}: exit ${x.res.code}: ${x.res.stderr.trim()}`),
    checks: [],
    dir: opts.keep ? tmp : null,
  };
  report.checks = checksFor(report, registry.installed);
  report.ok = report.checks.every((c) => c.ok);
  report.timings.totalMs = Date.now() - started;
  return report;
}

/** Undone in reverse on exit, on failure and on Ctrl-C. */
const cleanups = [];
async function cleanUp() {
  while (cleanups.length) {
    try {
      await cleanups.pop()();
    } catch {
      // Best effort: one failed cleanup must not keep the others from running.
    }
  }
}

async function main() {
  const opts = parseOptions(process.argv.slice(2));
  // realpath: on macOS the temp folder is behind a symlink, and the CLI reports real paths.
  const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'swamp-store-demo-')));
  if (!opts.keep) cleanups.push(() => fs.promises.rm(tmp, { recursive: true, force: true }));
  cleanups.push(() => Promise.all([...running].map((child) => new Promise((resolve) => {
    child.once('close', resolve);
    child.kill('SIGKILL');
  }))));
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      step(`Interrupted (${sig}); cleaning up`);
      interrupted = true;
      cleanUp().finally(() => process.exit(130));
    });
  }
  let report;
  try {
    report = await run(opts, tmp);
  } catch (err) {
    step(`FAILED: ${err.message}`);
    await cleanUp();
    if (opts.keep) process.stderr.write(`Kept ${tmp}\n`);
    return 1;
  }
  await cleanUp();
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `\n${formatReport(report)}\n`);
  return report.ok ? 0 : 1;
}

process.exitCode = await main();
