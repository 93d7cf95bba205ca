// The client side: what pull, install and update load. The local registry server (http, yaml)
// is its own entry, '@swamp-store/registry/server', so that a pull never compiles it.
export { RegistryError } from './errors.js';
export { RegistryClient, createRegistryClient, type RegistryClientOptions } from './client.js';
export { fetchFromRegistry } from './fetch-archive.js';
export { RemoteCache } from './remote-cache.js';
export { isCalVer, compareCalVer, type Channel } from './versions.js';
export { createResolver, type ResolvedRef, type ResolverOptions, type ResolveHint } from './resolve-ref.js';
export { classifyRef, type RefKind } from './refs.js';
