// What the pulls left on disk, measured with lstat rather than taken from
// swamp-store's own output: which placed files share an inode with the store,
// and what the store plus the worktrees cost in bytes.
import fs from 'node:fs/promises';
import path from 'node:path';

/** Files under `*bundles/` are copies by design: Swamp rewrites them in place. */
const BUNDLE = /^\.swamp\/[a-z-]*bundles\//;

/** Every regular file at or under `abs`, with its lstat. */
async function regularFiles(abs, out = []) {
  let st;
  try {
    st = await fs.lstat(abs);
  } catch {
    return out;
  }
  if (st.isFile()) out.push({ abs, st });
  else if (st.isDirectory()) {
    for (const name of await fs.readdir(abs)) await regularFiles(path.join(abs, name), out);
  }
  return out;
}

/** The files a worktree's lockfile says swamp-store placed (skill entries are directories), repo-relative. */
async function placedFiles(repoDir, lockfile) {
  const entries = JSON.parse(await fs.readFile(lockfile, 'utf8'));
  const out = [];
  for (const entry of Object.values(entries)) {
    for (const rel of entry.files) {
      for (const f of await regularFiles(path.join(repoDir, ...rel.split('/')))) {
        out.push({ ...f, rel: path.relative(repoDir, f.abs).split(path.sep).join('/') });
      }
    }
  }
  return out;
}

const inode = (st) => `${st.dev}:${st.ino}`;

/**
 * `worktrees`: [{repoDir, lockfile}]. `treeDirs`: the store's unpacked trees.
 * Bytes count the whole store folder (trees, archives, index) plus the placed
 * files: logical counts every path, physical each inode once.
 */
export async function measure({ worktrees, storeDir, treeDirs }) {
  const storeInodes = new Set();
  for (const dir of treeDirs) for (const f of await regularFiles(dir)) storeInodes.add(inode(f.st));

  const files = { placed: 0, hardlinked: 0, copied: 0, bundle: 0, bundleCopied: 0, nonBundle: 0, nonBundleHardlinked: 0 };
  const seen = new Set();
  const bytes = { worktreesLogical: 0, logical: 0, physical: 0 };
  const count = (st) => {
    bytes.logical += st.size;
    if (seen.has(inode(st))) return;
    seen.add(inode(st));
    bytes.physical += st.size;
  };
  for (const f of await regularFiles(storeDir)) count(f.st);
  for (const wt of worktrees) {
    for (const f of await placedFiles(wt.repoDir, wt.lockfile)) {
      const linked = storeInodes.has(inode(f.st));
      const bundle = BUNDLE.test(f.rel);
      files.placed++;
      files[linked ? 'hardlinked' : 'copied']++;
      if (bundle) {
        files.bundle++;
        if (!linked) files.bundleCopied++;
      } else {
        files.nonBundle++;
        if (linked) files.nonBundleHardlinked++;
      }
      bytes.worktreesLogical += f.st.size;
      count(f.st);
    }
  }
  return { files, bytes };
}
