/**
 * Every error code swamp-store reports, in one union (docs/CLI.md lists what
 * each means and its exit code). A package's error class narrows it to the
 * codes that package can raise; adding a code is one line here.
 */
export type ErrorCode =
  /** Bad arguments, names or flags (exit 2). */
  | 'E_USAGE'
  /** A ref, version, archive or tree that does not exist. */
  | 'E_NOT_FOUND'
  /** The registry could not be reached or answered badly. */
  | 'E_NETWORK'
  /** Bytes whose checksum is not the one expected. */
  | 'E_INTEGRITY'
  /** The store folder cannot be used (permissions, read-only, a file in the way). */
  | 'E_STORE'
  /** No space left on the device (or quota). */
  | 'E_NO_SPACE'
  /** An archive entry that would escape or is not allowed (links, devices, `..`). */
  | 'E_UNSAFE_ARCHIVE'
  /** An archive that is not a valid gzip tarball. */
  | 'E_ARCHIVE_CORRUPT'
  /** An archive beyond the size, file-count or depth limits. */
  | 'E_ARCHIVE_LIMIT'
  /** A manifest.yaml that is missing, invalid or names another extension. */
  | 'E_MANIFEST'
  /** A lock not obtained in SWAMP_STORE_LOCK_TIMEOUT_MS (exit 75). */
  | 'E_LOCK_TIMEOUT'
  /** A lock taken over by another process while we held it. */
  | 'E_LOCK_COMPROMISED'
  /** No repository could be found, or the one named is not usable. */
  | 'E_REPO'
  /** `.swamp.yaml` or SWAMP_MODELS_DIR holds a value we cannot use safely. */
  | 'E_CONFIG'
  /** The lockfile is not JSON or not the shape Swamp writes. */
  | 'E_LOCKFILE'
  /** A lockfile entry names a path outside the areas swamp-store may touch. */
  | 'E_UNSAFE_LOCKFILE'
  /** `extension rm` / `verify` of a name the lockfile does not list. */
  | 'E_NOT_INSTALLED'
  /** Installed files were edited by hand; refused without `--force`. */
  | 'E_MODIFIED'
  /** A store tree without the installed-form layout (a bug or a damaged store). */
  | 'E_TREE'
  /** `--link-mode hardlink` and a file that cannot be hardlinked. */
  | 'E_LINK'
  /** A dependency chain that does not end (a cycle or a runaway depth). */
  | 'E_DEPENDENCY'
  /** A remote cache failed (unreachable, timeouts, 5xx, a hostile answer). */
  | 'E_REMOTE'
  /** A remote cache refused the credentials (401/403). */
  | 'E_REMOTE_AUTH'
  /** A remote cache's URL is unusable. */
  | 'E_REMOTE_CONFIG'
  /** Stopped by SIGINT or SIGTERM (exit 130); what it had half-made was removed. */
  | 'E_INTERRUPTED'
  /** A bug or an unexpected system error. */
  | 'E_INTERNAL';

/**
 * The base of every error swamp-store reports on purpose: a code, a message
 * and, where there is one, a remedy. The CLI tests `instanceof SwampStoreError`
 * and nothing else; anything that is not one is reported as E_INTERNAL.
 */
export class SwampStoreError<C extends ErrorCode = ErrorCode> extends Error {
  override readonly name: string = 'SwampStoreError';
  constructor(
    readonly code: C,
    message: string,
    readonly remedy?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
  }
}

export function isSwampStoreError(err: unknown): err is SwampStoreError {
  return err instanceof SwampStoreError;
}

/** The constructor of an error class that can carry E_NO_SPACE (every package's class can). */
export type NoSpaceErrorClass<E> = new (code: 'E_NO_SPACE', message: string, remedy?: string, options?: { cause?: unknown }) => E;

export const NO_SPACE_REMEDY = "Free some space (try 'swamp-store cache gc') and run the command again.";

/**
 * Turns ENOSPC/EDQUOT from any fs call into the one code users see for a full
 * disk, as an instance of the caller's error class; any other error is
 * returned unchanged.
 */
export function mapFsError<E>(err: unknown, what: string, as: NoSpaceErrorClass<E>): E | unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new as('E_NO_SPACE', `No space left on device while ${what}.`, NO_SPACE_REMEDY, { cause: err });
  return err;
}
