/**
 * "Is this repo-relative path inside that folder": one home for the prefix test
 * the planner, staging, commit and checksum code all ask, per file (no template
 * string allocated per test: these run once per file of a 10,000-file tree).
 */

/** True when `rel` lies strictly inside `dir` (not `dir` itself). */
export function isUnder(rel: string, dir: string): boolean {
  return rel.length > dir.length && rel.charCodeAt(dir.length) === 0x2f && rel.startsWith(dir);
}

/** True when `rel` lies strictly inside one of `dirs`. */
export function isUnderAny(rel: string, dirs: Iterable<string>): boolean {
  for (const d of dirs) if (isUnder(rel, d)) return true;
  return false;
}

/** True when `rel` is one of `dirs` or lies inside one of them. */
export function isAtOrUnderAny(rel: string, dirs: Iterable<string>): boolean {
  for (const d of dirs) if (rel === d || isUnder(rel, d)) return true;
  return false;
}
