/**
 * E_REMOTE_CONFIG: the remote's URL is unusable (a usage error, the user must fix it).
 * E_REMOTE_AUTH: the remote refused the credentials (401/403).
 * E_REMOTE: anything else (unreachable, timeouts, 5xx, out of space, a hostile answer).
 * Callers treat the remote as a cache: everything but E_REMOTE_CONFIG is a warning.
 */
import { SwampStoreError } from '@swamp-store/primitives';

export type OciErrorCode = 'E_REMOTE_CONFIG' | 'E_REMOTE_AUTH' | 'E_REMOTE';

export class OciError extends SwampStoreError<OciErrorCode> {
  override readonly name = 'OciError';
  constructor(
    code: OciErrorCode,
    message: string,
    remedy?: string,
    options?: { cause?: unknown; status?: number },
  ) {
    super(code, message, remedy, { cause: options?.cause });
    this.status = options?.status;
  }

  readonly status: number | undefined;
}

export function isOciError(err: unknown): err is OciError {
  return err instanceof OciError;
}
