export { extractArchive } from './extract-archive.js';
export type { ExtractOptions, ExtractResult, ExtractedFile } from './extract-archive.js';
export { DEFAULT_LIMITS, resolveLimits } from './limits.js';
export type { ExtractLimits } from './limits.js';
export {
  ALWAYS_CREATED_DIRS,
  BUNDLE_DIRS,
  EXT_DIRS,
  MANIFEST_HEADER,
  MANIFEST_INSTALLED_PATH,
} from './installed-form.js';
