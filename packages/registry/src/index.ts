export { RegistryError, isRegistryError, type RegistryErrorCode } from './errors.js';
export {
  RegistryClient,
  createRegistryClient,
  DEFAULT_REGISTRY_URL,
  type RegistryClientOptions,
  type RegistrySettings,
  type DownloadOptions,
  type DownloadProgress,
} from './client.js';
export type { ExtensionInfo, LatestVersion } from './responses.js';
export { fetchFromRegistry, type FetchFromRegistryOptions, type FetchResult, type FetchProgress, type FetchSource } from './fetch-archive.js';
export { RemoteCache, type RemoteCacheOptions } from './remote-cache.js';
export { startRegistryServer, type RegistryServer, type RegistryServerOptions, type RegistryServerStats } from './server/server.js';
export { serveRegistry, type ServeRegistryOptions } from './server/serve.js';
export { readArchiveManifest } from './server/read-manifest.js';
export { isChannel, isCalVer, isExtensionName, compareCalVer, CHANNELS, type Channel } from './versions.js';
export { createResolver, classifyRef, type ResolvedRef, type RefKind, type ResolverOptions, type ResolveHint } from './resolve-ref.js';
