import type { HolderInfo } from './holder.js';

export type LockErrorCode = 'E_LOCK_TIMEOUT' | 'E_LOCK_COMPROMISED';

/** Every failure this package reports; the CLI maps `code` to an exit status. */
export class LockError extends Error {
  override readonly name = 'LockError';
  constructor(
    readonly code: LockErrorCode,
    message: string,
    readonly remedy?: string,
    readonly holder?: HolderInfo,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
