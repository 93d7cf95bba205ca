/** Codes of ../../shared/CLI.md that the store can raise. */
export type StoreErrorCode =
  | 'E_NOT_FOUND'
  | 'E_INTEGRITY'
  | 'E_UNSAFE_ARCHIVE'
  | 'E_ARCHIVE_CORRUPT'
  | 'E_ARCHIVE_LIMIT'
  | 'E_MANIFEST'
  | 'E_NO_SPACE'
  | 'E_STORE';

/** Every failure this package reports; the CLI maps `code` to an exit status. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
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
    return new StoreError('E_NO_SPACE', `No space left on device while ${what}.`, 'Free some space (try \'swamp-store cache gc\') and run the command again.', { cause: err });
  }
  return err;
}
