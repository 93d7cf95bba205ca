// The invariant checker of issue 6, usable from tests and by hand:
//   node test/stress/check.mjs --store DIR --worktree W [--worktree W2 ...]
// It checks, independently of `extension verify` (which it also runs):
// every lockfile entry's files are present with the store tree's content; no
// untracked files in managed folders; every linked tree is in the store and
// verifies; and, once all processes have ended, no stale locks, staging
// folders, journals or tmp leftovers.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { placeTree, resolveRepo } from '@swamp-store/worktree';
import { runCli } from '../helpers/cli.mjs';

function sha256(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function walk(dir, rel = '', out = []) {
  let items;
  try {
    items = fs.readdirSync(path.join(dir, rel), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const it of items) {
    const r = rel ? `${rel}/${it.name}` : it.name;
    if (it.isDirectory()) walk(dir, r, out);
    else out.push(r);
  }
  return out;
}

function readTree(storeDir, checksum) {
  try {
    return JSON.parse(fs.readFileSync(path.join(storeDir, 'v1', 'trees', checksum, '.tree.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Checks one worktree against its lockfile and the store; returns violation strings. */
export async function checkWorktree(storeDir, worktree) {
  const v = [];
  const repo = await resolveRepo({ repoDir: worktree, cwd: worktree, env: {} });
  let entries = {};
  if (fs.existsSync(repo.lockfilePath)) {
    try {
      entries = JSON.parse(fs.readFileSync(repo.lockfilePath, 'utf8'));
    } catch (err) {
      return [`${worktree}: lockfile unreadable: ${err.message}`];
    }
  }
  const owned = new Set();
  const skillDirs = [];
  for (const [name, entry] of Object.entries(entries)) {
    for (const f of entry.files) owned.add(f);
    const tree = entry.checksum ? readTree(storeDir, entry.checksum) : undefined;
    if (!tree) {
      v.push(`${worktree}: ${name}@${entry.version} links tree ${entry.checksum} which is not in the store`);
      continue;
    }
    const placement = placeTree({ name, treeFiles: tree.files, treeDirs: tree.dirs, skillsDirs: repo.skillsDirs });
    const records = new Map(tree.files.map((f) => [f.path, f]));
    for (const e of placement.entries) {
      owned.add(e.target);
      const abs = path.join(worktree, e.target);
      if (!fs.existsSync(abs)) {
        v.push(`${worktree}: ${name}: missing ${e.target}`);
        continue;
      }
      if (sha256(abs) !== records.get(e.treePath).sha256) v.push(`${worktree}: ${name}: content differs from the store tree: ${e.target}`);
    }
    for (const f of placement.lockfileFiles) if (!placement.entries.some((e) => e.target === f)) skillDirs.push(f);
    const expected = [...placement.lockfileFiles].sort();
    if (JSON.stringify([...entry.files].sort()) !== JSON.stringify(expected)) v.push(`${worktree}: ${name}: lockfile files differ from the tree's placement`);
  }
  for (const rel of walk(worktree, '.swamp/pulled-extensions')) {
    if (!owned.has(rel) && !skillDirs.some((d) => rel.startsWith(`${d}/`))) v.push(`${worktree}: untracked file ${rel}`);
  }
  const verify = await runCli(['extension', 'verify', '--json', '--repo-dir', worktree], { env: { SWAMP_STORE_DIR: storeDir } });
  if (verify.code !== 0) v.push(`${worktree}: extension verify exit ${verify.code}: ${verify.stdout.slice(0, 500)} ${verify.stderr.slice(0, 300)}`);
  return v;
}

/** Leftovers that must not exist once every process has ended. */
export function checkQuiescent(storeDir, worktrees) {
  const v = [];
  const base = path.join(storeDir, 'v1');
  const listing = (d) => (fs.existsSync(d) ? fs.readdirSync(d) : []);
  for (const name of listing(path.join(base, 'tmp'))) v.push(`store tmp/ leftover: ${name}`);
  for (const name of listing(path.join(base, 'cas', 'tmp'))) v.push(`cacache tmp/ leftover: ${name}`);
  for (const name of listing(path.join(base, 'temp-roots'))) v.push(`temp root left behind: ${name}`);
  for (const name of listing(path.join(base, 'locks'))) {
    const p = path.join(base, 'locks', name);
    if (fs.statSync(p).isDirectory() || name.endsWith('.lock')) v.push(`stale store lock: ${name}`);
  }
  for (const w of worktrees) {
    if (fs.existsSync(path.join(w, '.swamp/swamp-store/journal.json'))) v.push(`${w}: journal left behind`);
    for (const name of listing(path.join(w, '.swamp/swamp-store/staging'))) v.push(`${w}: staging left behind: ${name}`);
    for (const f of walk(w, 'extensions')) if (f.endsWith('.lock') || f.endsWith('.tmp')) v.push(`${w}: leftover ${f}`);
    for (const d of listing(path.join(w, 'extensions/models'))) if (d.endsWith('.lock')) v.push(`${w}: stale lockfile lock ${d}`);
  }
  return v;
}

/** All invariants; `quiescent` adds the leftover checks (only valid when no command runs). */
export async function checkInvariants({ storeDir, worktrees, quiescent = true }) {
  const violations = [];
  for (const w of worktrees) violations.push(...(await checkWorktree(storeDir, w)));
  const cv = await runCli(['cache', 'verify', '--json'], { env: { SWAMP_STORE_DIR: storeDir } });
  if (cv.code !== 0) violations.push(`cache verify exit ${cv.code}: ${cv.stdout.slice(0, 500)} ${cv.stderr.slice(0, 300)}`);
  if (quiescent) violations.push(...checkQuiescent(storeDir, worktrees));
  return violations;
}
