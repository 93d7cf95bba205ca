import { lstatSync, realpathSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { joinSafe } from '@swamp-store/primitives';
import { isSafeRelativePath } from './placement.js';
import { WorktreeError } from './errors.js';

/**
 * Joins a repo-relative path onto the repository, refusing anything that
 * could leave it: `..`, absolute paths, and a symlinked folder on the way that
 * points outside. Every delete and every rename into the worktree goes through
 * here.
 *
 * Containment is proven once per folder per command, walking down from the
 * repository with one lstat per folder (a realpath only for a folder that is a
 * symlink), never a realpath walk per file: a 1,000-file install made 10,000
 * failing readlink calls that way. A folder that does not exist is ours to
 * create below a proven one; callers hold the lockfile lock, so no other
 * swamp-store or Swamp writer can put a link there meanwhile.
 */
export class RepoPaths {
  private readonly inside = new Map<string, boolean>();

  constructor(
    readonly repoDir: string,
    private readonly repoReal: string,
  ) {
    this.inside.set(repoDir, true);
  }

  static async open(repoDir: string): Promise<RepoPaths> {
    return new RepoPaths(repoDir, await fs.realpath(repoDir));
  }

  static openSync(repoDir: string): RepoPaths {
    return new RepoPaths(repoDir, realpathSync(repoDir));
  }

  resolve(rel: string): string {
    if (!isSafeRelativePath(rel)) {
      throw new WorktreeError('E_UNSAFE_LOCKFILE', `Refusing path '${rel}': it is not a safe path inside the repository.`);
    }
    return joinSafe(this.repoDir, rel);
  }

  /** Like resolve, and also proves every folder on the way is really inside the repository. */
  resolveCheckedSync(rel: string): string {
    const abs = this.resolve(rel);
    if (!this.folderInside(path.dirname(abs))) {
      throw new WorktreeError('E_UNSAFE_LOCKFILE', `Refusing path '${rel}': a folder on the way is a link that leaves the repository.`);
    }
    return abs;
  }

  async resolveChecked(rel: string): Promise<string> {
    return this.resolveCheckedSync(rel);
  }

  private folderInside(dir: string): boolean {
    const cached = this.inside.get(dir);
    if (cached !== undefined) return cached;
    const parent = path.dirname(dir);
    // `dir` is under repoDir (resolve() refused anything else), so the walk ends there.
    const verdict = parent !== dir && this.folderInside(parent) && this.selfInside(dir);
    this.inside.set(dir, verdict);
    return verdict;
  }

  /** For a folder whose parent is proven inside: a plain folder (or nothing yet) is inside; a symlink only if it resolves inside. */
  private selfInside(dir: string): boolean {
    let st;
    try {
      st = lstatSync(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return true;
      throw err;
    }
    if (!st.isSymbolicLink()) return true;
    let real: string;
    try {
      real = realpathSync(dir);
    } catch {
      return false; // a dangling link: whatever it would create lies wherever it points
    }
    return real === this.repoReal || real.startsWith(this.repoReal + path.sep);
  }
}
