import { storeFsError } from './store-errors.js';

/** Errors the CLI itself raises (bad arguments, refusals). Other packages' errors keep their own classes. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly code: string,
    message: string,
    readonly remedy?: string,
  ) {
    super(message);
  }
}

/** Exit codes of CLI.md: 0 ok, 1 error, 2 usage, 75 lock timeout (EX_TEMPFAIL: try again later). */
export const EXIT = { ok: 0, error: 1, usage: 2, lockTimeout: 75 } as const;

export function exitCodeFor(code: string): number {
  if (code === 'E_USAGE') return EXIT.usage;
  if (code === 'E_LOCK_TIMEOUT') return EXIT.lockTimeout;
  return EXIT.error;
}

interface CodedError {
  code: string;
  message: string;
  remedy?: string;
}

/**
 * Every package's error class carries a `code` starting with `E_`; anything
 * else is a bug or an unexpected system error, reported as E_INTERNAL with the
 * errno when there is one.
 */
export function toCoded(err: unknown): CodedError {
  const e = err as { code?: unknown; message?: unknown; remedy?: unknown } | undefined;
  if (e && typeof e.code === 'string' && e.code.startsWith('E_') && typeof e.message === 'string') {
    return { code: e.code, message: e.message, remedy: typeof e.remedy === 'string' ? e.remedy : undefined };
  }
  const errno = e && typeof e.code === 'string' ? ` (${e.code})` : '';
  const message = err instanceof Error ? err.message : String(err);
  if (e?.code === 'ENOSPC' || e?.code === 'EDQUOT') {
    return { code: 'E_NO_SPACE', message: `No space left on device: ${message}`, remedy: "Free some space (try 'swamp-store cache gc') and run the command again." };
  }
  const inStore = storeFsError(err);
  if (inStore) return inStore;
  return {
    code: 'E_INTERNAL',
    message: `${message}${errno}`,
    remedy: 'This is a bug in swamp-store: run the command again with SWAMP_STORE_DEBUG=1 to see where it failed, and report that output.',
  };
}
