export { OciError, isOciError, type OciErrorCode } from './errors.js';
export { parseRemoteUrl, type RemoteRef } from './reference.js';
export { findCredentials, type Credentials } from './credentials.js';
export { parseChallenge, type Challenge } from './challenge.js';
export { OciClient, type OciClientOptions } from './client.js';
export {
  tagFor,
  digestOf,
  manifestBytes,
  parseArchiveManifest,
  MANIFEST_MEDIA_TYPE,
  ARTIFACT_TYPE,
  ARCHIVE_MEDIA_TYPE,
  EMPTY_CONFIG,
  NAME_ANNOTATION,
  VERSION_ANNOTATION,
  type ArchiveManifest,
} from './layout.js';
