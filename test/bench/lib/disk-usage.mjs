// Bytes on disk after a run, counted from the file system itself (not from the
// tool under test): regular files by size, each (device, inode) once, so N
// hardlinks to one file cost what one file costs. Symlinks and folders are
// not counted (their size is file-system bookkeeping, the same for both sides).
import fs from 'node:fs';
import path from 'node:path';

export class DiskUsage {
  /** bytes per category, each inode in the category where it was first seen */
  physical = {};
  /** allocated bytes (st_blocks * 512), same attribution: what `du` would say */
  allocated = {};
  logical = 0;
  files = 0;
  #seen = new Set();

  /** Walks `root`, attributing first-seen inodes to `category(relativePath)`; `skip(rel)` prunes. */
  add(root, category, skip = () => false) {
    const walk = (dir, rel) => {
      let names;
      try {
        names = fs.readdirSync(dir);
      } catch {
        return; // gone, or not a folder
      }
      for (const name of names) {
        const abs = path.join(dir, name);
        const r = rel ? `${rel}/${name}` : name;
        if (skip(r)) continue;
        const st = fs.lstatSync(abs, { bigint: false });
        if (st.isDirectory()) walk(abs, r);
        else if (st.isFile()) this.#count(st, category(r));
      }
    };
    walk(root, '');
    return this;
  }

  #count(st, cat) {
    this.logical += st.size;
    this.files++;
    const id = `${st.dev}:${st.ino}`;
    if (this.#seen.has(id)) return;
    this.#seen.add(id);
    this.physical[cat] = (this.physical[cat] ?? 0) + st.size;
    this.allocated[cat] = (this.allocated[cat] ?? 0) + st.blocks * 512;
  }

  get physicalTotal() {
    return Object.values(this.physical).reduce((a, b) => a + b, 0);
  }

  get allocatedTotal() {
    return Object.values(this.allocated).reduce((a, b) => a + b, 0);
  }
}

/** Store categories: unpacked trees, archive bytes (cacache content), everything else (index, roots, locks, state). */
export function storeCategory(rel) {
  if (rel.startsWith('v1/trees/')) return 'store trees';
  if (rel.startsWith('v1/cas/content-')) return 'store archives (gz)';
  return 'store metadata';
}

/** What lands in a worktree, minus the repository markers the bench itself wrote. */
export function skipRepoMarkers(rel) {
  return rel === '.git' || rel === '.swamp.yaml';
}

/** Logical bytes of one worktree's installed extensions: every file counted, hardlinked or not. */
export function worktreeLogicalBytes(repo) {
  const u = new DiskUsage().add(repo, () => 'worktree', (rel) => skipRepoMarkers(rel) || rel === '.swamp/swamp-store');
  return { bytes: u.logical, files: u.files };
}
