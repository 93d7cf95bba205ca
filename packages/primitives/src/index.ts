/**
 * What every swamp-store package shares, below the lock package: the digest and
 * name rules, durable file writes, process liveness, Swamp's format
 * constants, the error base class and the settings table. docs/ARCHITECTURE.md says which concept lives where.
 */
export { SwampStoreError, isSwampStoreError, mapFsError, type ErrorCode } from './errors.js';
export { parseSha256Hex, isSha256Hex } from './sha256-hex.js';
export { EXTENSION_NAME_RE, EXTENSION_NAME_SOURCE, isExtensionName } from './extension-name.js';
export { writeFileAtomic, syncDir } from './durable-file.js';
export { lstatOrUndefined, lstatSyncOrUndefined } from './lstat-or-undefined.js';
export { processLiveness, isProcessAlive, ownProcessStart } from './process-liveness.js';
export { SWAMP_DIR, PULLED_DIR, FALLBACK_SKILLS_DIR, EXTENSION_SUBDIRS, BUNDLE_SOURCE_DIR, BUNDLE_KINDS, SKILLS_DIR, MANIFEST_FILE, MANIFEST_HEADER, type BundleKind } from './swamp-format.js';
export { SETTINGS, readSettings, DEFAULT_REGISTRY_URL, type Settings } from './settings.js';
export { loadHttpModule } from './http-module.js';
export { joinSafe } from './join-safe.js';
