import { SwampStoreError } from '@swamp-store/primitives';

/** The codes of docs/CLI.md that the store can raise. */
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
export class StoreError extends SwampStoreError<StoreErrorCode> {
  override readonly name = 'StoreError';
}
