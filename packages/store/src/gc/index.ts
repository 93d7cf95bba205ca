export {
  collectGarbage,
  DEFAULT_TREE_MAX_AGE_MS,
  DEFAULT_ARCHIVE_MAX_AGE_MS,
  type GcOptions,
  type GcReport,
} from './collect-garbage.js';
export type { LiveDigestsOf, FilesOf, UnknownNeed } from './mark-live.js';
export { verifyStore, type VerifyStoreOptions, type VerifyStoreReport, type StoreProblem, type StoreProblemKind } from './verify-store.js';
export { listStore, type ListStoreOptions, type StoreListing, type ListedTree, type ListedArchive, type ListedRoot } from './list-store.js';
