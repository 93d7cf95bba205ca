import { SwampStoreError } from '@swamp-store/primitives';
import type { HolderInfo } from './holder.js';

export type LockErrorCode = 'E_LOCK_TIMEOUT' | 'E_LOCK_COMPROMISED';

/** Every failure this package reports; the CLI maps `code` to an exit status. */
export class LockError extends SwampStoreError<LockErrorCode> {
  override readonly name = 'LockError';
  constructor(
    code: LockErrorCode,
    message: string,
    remedy?: string,
    readonly holder?: HolderInfo,
    options?: { cause?: unknown },
  ) {
    super(code, message, remedy, options);
  }
}
