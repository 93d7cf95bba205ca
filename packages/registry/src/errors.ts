import { SwampStoreError } from '@swamp-store/primitives';

/** The codes of docs/CLI.md that the registry client can raise. */
export type RegistryErrorCode = 'E_NOT_FOUND' | 'E_NETWORK' | 'E_INTEGRITY' | 'E_USAGE';

/** Every failure this package reports; the CLI maps `code` to an exit status. */
export class RegistryError extends SwampStoreError<RegistryErrorCode> {
  override readonly name = 'RegistryError';
  constructor(
    code: RegistryErrorCode,
    message: string,
    remedy?: string,
    options?: {
      cause?: unknown;
      /** HTTP status that caused the failure, when there was one. */
      status?: number;
      /**
       * Whether trying again may succeed (timeouts, resets, 5xx, 429). Limits, bad
       * redirects and hostile responses are final: retrying only repeats them.
       */
      retryable?: boolean;
      /** How long the server asked us to wait before trying again (429 Retry-After). */
      retryAfterMs?: number;
    },
  ) {
    super(code, message, remedy, { cause: options?.cause });
    this.status = options?.status;
    this.retryable = options?.retryable ?? false;
    this.retryAfterMs = options?.retryAfterMs;
  }

  readonly status: number | undefined;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
}

export function isRegistryError(err: unknown): err is RegistryError {
  return err instanceof RegistryError;
}
