export { OciError, isOciError } from './errors.js';
export { parseRemoteUrl } from './reference.js';
export { findCredentials, type CredentialSources } from './credentials.js';
export { parseChallenge } from './challenge.js';
export { OciClient } from './client.js';
export { tagFor, manifestBytes, parseArchiveManifest } from './layout.js';
