/**
 * The one rule for Swamp's checksums and the store's digests: 64 hex digits.
 * Input is accepted in either case (a lockfile edited by hand or written by
 * another tool may hold upper case); everything the store names or compares
 * uses the lower-case form, so callers normalise with `parseSha256Hex` first.
 */
const SHA256_HEX = /^[0-9a-f]{64}$/i;

/** The lower-case digest, or undefined when `value` is not 64 hex digits. */
export function parseSha256Hex(value: unknown): string | undefined {
  return typeof value === 'string' && SHA256_HEX.test(value) ? value.toLowerCase() : undefined;
}

/** Whether `value` is a digest in the store's canonical (lower-case) form, e.g. a folder name under trees/. */
export function isSha256Hex(value: unknown): value is string {
  return parseSha256Hex(value) === value;
}
