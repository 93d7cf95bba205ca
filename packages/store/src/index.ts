export { StoreError, type StoreErrorCode } from './errors.js';
export { defaultStoreRoot, storeLayout, treeDir, gcLockPath, downloadLockPath, digestLockPath, LAYOUT_VERSION, type StoreLayout } from './layout.js';
export { openStore, ensureLayout, type Store, type StoreOptions } from './store.js';
export { probeStore, storeUnusable, storeReadOnly, type StoreAccess } from './store-access.js';
export {
  ingest,
  findArchive,
  lookupVersion,
  recordVersion,
  openArchiveStream,
  type ArchiveInfo,
  type IngestOptions,
} from './archives.js';
export { ensureTreeOrReject } from './reject-archive.js';
export { ensureTree, type EnsureTreeResult, type EnsureTreeOptions, type TreeStatus } from './publish.js';
export { ensurePristineTree, touchTree, type PristineTreeResult, type ReplacedTree } from './pristine.js';
export { readTreeManifest, isSafeRelativePath, TREE_MANIFEST, type TreeManifest, type TreeFileRecord } from './tree-manifest.js';
export { checkTreeFast, verifyTreeFull, sha256File, CTIME_CHECKED, type TreeProblem, type TreeProblemReason } from './tree-check.js';
export { moveAside } from './quarantine.js';
export { beginPins, listTempRoots, type Pins, type TempRootRecord, type TempRootEntry } from './temp-roots.js';
export { registerRoot, listRoots, dropRoot, type RootRecord, type RootEntry } from './roots.js';
export { discardOwnWorkSync } from './interrupt.js';
export { setProgressListener, reportProgress, type ProgressEvent, type ProgressPhase } from './progress.js';
export { mapPool } from './pool.js';
export { parseManifest, parseDependency, type ExtensionManifest } from './manifest.js';
export type { ExtractLimits, ExtractOptions, ExtractResult, ExtractedFile } from './extract/index.js';
export { extractArchive } from './extract-lazy.js';
export * from './gc/index.js';
export { isArchiveMissing, markArchiveMissing } from './archive-missing.js';
export type { ResolvedArchive } from './resolved-archive.js';
