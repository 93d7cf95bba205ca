export { RegistryError } from './errors.js';
export { RegistryClient, createRegistryClient, type RegistryClientOptions } from './client.js';
export { fetchFromRegistry } from './fetch-archive.js';
export { RemoteCache } from './remote-cache.js';
export { startRegistryServer, type RegistryServer } from './server/server.js';
export { serveRegistry } from './server/serve.js';
export { readArchiveManifest } from './server/read-manifest.js';
export { isCalVer, compareCalVer, type Channel } from './versions.js';
export { createResolver, classifyRef, type ResolvedRef, type RefKind, type ResolverOptions, type ResolveHint } from './resolve-ref.js';
