import { SwampStoreError } from '@swamp-store/primitives';

/** The codes of docs/CLI.md this package can raise (their meanings are in the primitives package's ErrorCode). */
export type WorktreeErrorCode =
  | 'E_NOT_INSTALLED'
  | 'E_LOCKFILE'
  | 'E_UNSAFE_LOCKFILE'
  | 'E_MODIFIED'
  | 'E_REPO'
  | 'E_CONFIG'
  | 'E_TREE'
  | 'E_LINK'
  | 'E_DEPENDENCY'
  | 'E_NOT_FOUND'
  | 'E_INTEGRITY'
  | 'E_USAGE'
  | 'E_NO_SPACE';

/** Every failure this package reports; the CLI maps `code` to an exit status. */
export class WorktreeError extends SwampStoreError<WorktreeErrorCode> {
  override readonly name = 'WorktreeError';
}
