/**
 * Names fixed by Swamp's on-disk format (docs/swamp-compatibility.md), in one
 * place: the store's installed-form trees and the worktree's placement must
 * agree on them, or Swamp would not find what swamp-store installs.
 */

/** Swamp's folder in a repository. */
export const SWAMP_DIR = '.swamp';
/** Where Swamp keeps each pulled extension, `<PULLED_DIR>/<@scope/name>/`. */
export const PULLED_DIR = `${SWAMP_DIR}/pulled-extensions`;
/** Where skills go when no tool is enrolled (`tools: []`, `tools: none`). */
export const FALLBACK_SKILLS_DIR = `${PULLED_DIR}/skills`;

/** The directories Swamp creates under every extension (and the archive's `extension/<dir>/`), even when empty. */
export const EXTENSION_SUBDIRS = ['models', 'workflows', 'vaults', 'drivers', 'datastores', 'reports', 'files'] as const;

/** Each bundle kind (a folder `.swamp/<kind>/` and the archive's `extension/<kind>/`), and the extension directory whose path names its namespace. */
export const BUNDLE_SOURCE_DIR = {
  bundles: 'models',
  'vault-bundles': 'vaults',
  'driver-bundles': 'drivers',
  'datastore-bundles': 'datastores',
  'report-bundles': 'reports',
} as const;
export type BundleKind = keyof typeof BUNDLE_SOURCE_DIR;
export const BUNDLE_KINDS = Object.keys(BUNDLE_SOURCE_DIR) as BundleKind[];

/** The archive's `extension/skills/<skill>/` folders, copied to every enrolled tool's skills directory. */
export const SKILLS_DIR = 'skills';

/** The manifest's name in an archive (`extension/manifest.yaml`). */
export const MANIFEST_FILE = 'manifest.yaml';
/** Swamp prepends exactly this line when it installs a manifest. */
export const MANIFEST_HEADER = "# Read-only; regenerate via 'swamp extension pull'\n";
