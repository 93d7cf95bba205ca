import { SwampStoreError, mapFsError, type ErrorCode } from '@swamp-store/primitives';
import { storeFsError } from './store-errors.js';

/** Errors the CLI itself raises (bad arguments, refusals). Other packages' errors keep their own classes. */
export class CliError extends SwampStoreError {
  override readonly name = 'CliError';
}

/** Exit codes of docs/CLI.md: 0 ok, 1 error, 2 usage, 75 lock timeout (EX_TEMPFAIL: try again later). */
export const EXIT = { ok: 0, error: 1, usage: 2, lockTimeout: 75 } as const;

export function exitCodeFor(code: ErrorCode): number {
  if (code === 'E_USAGE') return EXIT.usage;
  if (code === 'E_LOCK_TIMEOUT') return EXIT.lockTimeout;
  return EXIT.error;
}

interface CodedError {
  code: ErrorCode;
  message: string;
  remedy?: string;
}

/**
 * Every package's error class extends SwampStoreError; anything else is a full
 * disk, a store folder we cannot use, or a bug or unexpected system error,
 * reported as E_INTERNAL with the errno when there is one.
 */
export function toCoded(err: unknown): CodedError {
  const message = err instanceof Error ? err.message : String(err);
  const coded = err instanceof SwampStoreError ? err : mapFsError(err, `running the command (${message})`, SwampStoreError);
  if (coded instanceof SwampStoreError) return { code: coded.code, message: coded.message, remedy: coded.remedy };
  const e = err as { code?: unknown } | undefined;
  const errno = e && typeof e.code === 'string' ? ` (${e.code})` : '';
  const inStore = storeFsError(err);
  if (inStore) return inStore;
  return {
    code: 'E_INTERNAL',
    message: `${message}${errno}`,
    remedy: 'This is a bug in swamp-store: run the command again with SWAMP_STORE_DEBUG=1 to see where it failed, and report that output.',
  };
}
