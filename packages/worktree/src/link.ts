import { constants, chmodSync, copyFileSync, linkSync } from 'node:fs';
import { WorktreeError } from './errors.js';

export type LinkMode = 'auto' | 'hardlink' | 'copy';
export type LinkMethod = 'hardlink' | 'reflink' | 'copy';

export interface LinkCounts {
  hardlink: number;
  reflink: number;
  copy: number;
}

/** Why a transaction stopped hardlinking, said once per command (e.g. "store is on another filesystem"). */
export type FallbackReason = 'cross-device' | 'link-limit' | 'permission';

/**
 * Per-transaction linking state: after one EXDEV every later hardlink would
 * fail the same way, so we stop trying (saves a syscall per file); after one
 * failed reflink likewise.
 */
export class Linker {
  readonly counts: LinkCounts = { hardlink: 0, reflink: 0, copy: 0 };
  readonly fallbacks = new Set<FallbackReason>();
  private crossDevice = false;
  private reflinkUnsupported = false;

  constructor(readonly mode: LinkMode) {}

  /**
   * Puts `src` at `dest` (which must not exist). `privateCopy` forces a copy:
   * Swamp rewrites bundle files in place, which through a hardlink would
   * change the store for every worktree. Synchronous: a per-file loop of sync
   * calls costs one syscall each, where thousands of small async calls cost a
   * thread-pool hand-off each.
   */
  placeSync(src: string, dest: string, opts: { privateCopy: boolean; copyMode: number }): LinkMethod {
    if (!opts.privateCopy && this.mode !== 'copy' && !this.crossDevice) {
      try {
        linkSync(src, dest);
        this.counts.hardlink++;
        return 'hardlink';
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EXDEV') {
          this.crossDevice = true;
          this.fallbacks.add('cross-device');
        } else if (code === 'EMLINK') this.fallbacks.add('link-limit');
        else if (code === 'EPERM' || code === 'EACCES') this.fallbacks.add('permission');
        else throw err;
        if (this.mode === 'hardlink') throw hardlinkRefused(code, src, dest, err);
      }
    }
    const method = this.copySync(src, dest);
    chmodSync(dest, opts.copyMode);
    this.counts[method]++;
    return method;
  }

  /** A clone (FICLONE: shared extents on btrfs/XFS) where the filesystem can, else a plain copy. */
  private copySync(src: string, dest: string): 'reflink' | 'copy' {
    if (!this.reflinkUnsupported) {
      try {
        copyFileSync(src, dest, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE_FORCE);
        return 'reflink';
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST' || code === 'ENOENT' || code === 'ENOSPC') throw err;
        this.reflinkUnsupported = true;
      }
    }
    copyFileSync(src, dest, constants.COPYFILE_EXCL);
    return 'copy';
  }
}

/** `--link-mode hardlink` promised links only: say why one is impossible instead of a bare errno (E_INTERNAL). */
function hardlinkRefused(code: string, src: string, dest: string, cause: unknown): WorktreeError {
  const why =
    code === 'EXDEV'
      ? 'the store is on another filesystem than the repository'
      : code === 'EMLINK'
        ? `${src} has reached the filesystem's hardlink limit`
        : `the filesystem refused to hardlink ${src} to ${dest} (${code})`;
  return new WorktreeError(
    'E_LINK',
    `Cannot hardlink with --link-mode hardlink: ${why}.`,
    "Use '--link-mode auto' (copies where links are impossible), or put SWAMP_STORE_DIR on the repository's filesystem.",
    { cause },
  );
}
