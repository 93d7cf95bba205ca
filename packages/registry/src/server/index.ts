// The local registry server (`swamp-store registry serve`, and tests): a separate entry from the
// client so that commands which only fetch never load http's server side or yaml.
export { startRegistryServer, type RegistryServer } from './server.js';
export { serveRegistry } from './serve.js';
export { readArchiveManifest } from './read-manifest.js';
