/**
 * Codes this package can raise. The shared ones come from ../../shared/CLI.md;
 * the rest name failures that only a worktree can have.
 */
export type WorktreeErrorCode =
  /** `extension rm` / `verify` of a name the lockfile does not list. */
  | 'E_NOT_INSTALLED'
  /** The lockfile is not JSON or not the shape Swamp writes. */
  | 'E_LOCKFILE'
  /** A lockfile entry names a path outside the areas swamp-store may touch. */
  | 'E_UNSAFE_LOCKFILE'
  /** Installed files were edited by hand; refused without `--force`. */
  | 'E_MODIFIED'
  /** No repository could be found or the one named is not usable. */
  | 'E_REPO'
  /** `.swamp.yaml` or `SWAMP_MODELS_DIR` holds a value we cannot use safely. */
  | 'E_CONFIG'
  /** A store tree does not have the installed-form layout (a bug or a damaged store). */
  | 'E_TREE'
  /** `--link-mode hardlink` and a file that cannot be hardlinked (another filesystem, link limit, refused). */
  | 'E_LINK'
  /** A dependency chain that does not end (a cycle or a runaway depth). */
  | 'E_DEPENDENCY'
  | 'E_NOT_FOUND'
  | 'E_INTEGRITY'
  | 'E_USAGE'
  | 'E_NO_SPACE';

/** Every failure this package reports; the CLI maps `code` to an exit status. */
export class WorktreeError extends Error {
  override readonly name = 'WorktreeError';
  constructor(
    readonly code: WorktreeErrorCode,
    message: string,
    readonly remedy?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Turns ENOSPC/EDQUOT from any fs call into the one code users see for a full disk. */
export function mapFsError(err: unknown, what: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new WorktreeError(
      'E_NO_SPACE',
      `No space left on device while ${what}.`,
      "Free some space (try 'swamp-store cache gc') and run the command again.",
      { cause: err },
    );
  }
  return err;
}
