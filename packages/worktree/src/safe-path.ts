import fs from 'node:fs/promises';
import path from 'node:path';
import { isSafeRelativePath } from './placement.js';
import { WorktreeError } from './errors.js';

/**
 * Joins a repo-relative path onto the repository, refusing anything that
 * could leave it: `..`, absolute paths, and (checked on the real path of the
 * nearest existing parent) a symlinked folder pointing outside. Every delete
 * and every rename into the worktree goes through here.
 */
export class RepoPaths {
  private readonly realParents = new Map<string, boolean>();

  constructor(
    readonly repoDir: string,
    private readonly repoReal: string,
  ) {}

  static async open(repoDir: string): Promise<RepoPaths> {
    return new RepoPaths(repoDir, await fs.realpath(repoDir));
  }

  resolve(rel: string): string {
    if (!isSafeRelativePath(rel)) {
      throw new WorktreeError('E_UNSAFE_LOCKFILE', `Refusing path '${rel}': it is not a safe path inside the repository.`);
    }
    return path.join(this.repoDir, rel);
  }

  /** Like resolve, and also proves the nearest existing parent folder is really inside the repository. */
  async resolveChecked(rel: string): Promise<string> {
    const abs = this.resolve(rel);
    const missing: string[] = [];
    for (let dir = path.dirname(abs); ; dir = path.dirname(dir)) {
      const inside = await this.existingDirInside(dir);
      if (inside === undefined) {
        missing.push(dir); // missing: whatever is created there is created by us, below a checked folder
        continue;
      }
      if (!inside) throw new WorktreeError('E_UNSAFE_LOCKFILE', `Refusing path '${rel}': a folder on the way is a link that leaves the repository.`);
      // Remember the missing folders under this checked one: a 10,000-file install otherwise
      // re-walks (and realpaths) the same missing parents once per file, half a million syscalls.
      for (const m of missing) this.realParents.set(m, true);
      return abs;
    }
  }

  /** undefined when the folder does not exist; cached per existing folder for the life of one command. */
  private async existingDirInside(dir: string): Promise<boolean | undefined> {
    const cached = this.realParents.get(dir);
    if (cached !== undefined) return cached;
    try {
      const real = await fs.realpath(dir);
      const inside = real === this.repoReal || real.startsWith(this.repoReal + path.sep);
      this.realParents.set(dir, inside);
      return inside;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && dir !== path.dirname(dir)) return undefined;
      throw err;
    }
  }
}
