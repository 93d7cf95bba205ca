/**
 * `base/rel` for a `rel` already proven safe (store's isSafeRelativePath: no `..`,
 * `.`, empty segment or leading `/`) and a normalised absolute `base`. path.join
 * would normalise the whole string again: ~5 µs a call, 60 ms of a 10,000-file pull
 * that joins each file's path three times.
 */
export function joinSafe(base: string, rel: string): string {
  return base.endsWith('/') ? base + rel : `${base}/${rel}`;
}
