/**
 * Where each archive path lands in a store tree, the "installed form" of
 * docs/swamp-compatibility.md: `ext/` becomes `.swamp/pulled-extensions/<name>/`,
 * `bundles/<kind>/` becomes `.swamp/<kind>/<ns>/`, `skills/<skill>/` goes to
 * every enrolled tool's skills directory.
 */
import { BUNDLE_KINDS, EXTENSION_SUBDIRS, MANIFEST_FILE, MANIFEST_HEADER, SKILLS_DIR } from '@swamp-store/primitives';

export { MANIFEST_HEADER, SKILLS_DIR };
export const MANIFEST_ARCHIVE_NAME = MANIFEST_FILE;
export const MANIFEST_INSTALLED_PATH = `ext/${MANIFEST_FILE}`;
/** Copied to `ext/<dir>/`; Swamp creates all seven even when the archive lacks them. */
export const EXT_DIRS = EXTENSION_SUBDIRS;
/** Copied to `bundles/<dir>/`; Swamp creates each bundle namespace dir even when empty. */
export const BUNDLE_DIRS = BUNDLE_KINDS;

/** Installed directories every tree has, whatever the archive holds. */
export const ALWAYS_CREATED_DIRS: readonly string[] = [
  ...EXT_DIRS.map((d) => `ext/${d}`),
  ...BUNDLE_DIRS.map((d) => `bundles/${d}`),
];

/** Archive directories (below `extension/`) that must be directories, never files. */
export const RESERVED_ARCHIVE_DIRS: readonly string[] = [...EXT_DIRS, ...BUNDLE_DIRS, SKILLS_DIR];

const EXT_DIR_SET = new Set<string>(EXT_DIRS);
const BUNDLE_DIR_SET = new Set<string>(BUNDLE_DIRS);

export type Placement =
  | { kind: 'manifest' }
  | { kind: 'install'; rel: string }
  /** Validated and counted, but not part of what Swamp installs. */
  | { kind: 'skip' };

/**
 * `segments` are the entry's path below `extension/`. Mirrors Swamp's own
 * installer: only the known directories are copied, `._*` AppleDouble files
 * are dropped at any depth, and under `skills/` only directories count.
 */
export function placeEntry(segments: readonly string[], isDir: boolean): Placement {
  const top = segments[0];
  if (top === undefined) return { kind: 'skip' };
  if (segments.length === 1 && top === MANIFEST_ARCHIVE_NAME) return { kind: 'manifest' };
  if (segments.some((s) => s.startsWith('._'))) return { kind: 'skip' };
  const rel = segments.join('/');
  if (EXT_DIR_SET.has(top)) return { kind: 'install', rel: `ext/${rel}` };
  if (BUNDLE_DIR_SET.has(top)) return { kind: 'install', rel: `bundles/${rel}` };
  if (top === SKILLS_DIR) {
    // Swamp installs skills/<skill>/ directories only; loose files beside them are ignored.
    const isSkillDirOrBelow = segments.length > 2 || (segments.length === 2 && isDir);
    return isSkillDirOrBelow ? { kind: 'install', rel } : { kind: 'skip' };
  }
  return { kind: 'skip' };
}
