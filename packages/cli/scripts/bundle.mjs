#!/usr/bin/env node
// Bundles the compiled CLI (packages/cli/dist, from tsc -b) into packages/cli/bundle/.
// Why: a CLI process spends most of its start-up resolving and loading ~150
// small ESM files across the workspace packages; one bundle with lazily loaded
// chunks (extraction, gc, registry server, cacache) starts in a fraction of that.
// The packages keep their own dist/ for library use and tests. Workspace packages
// (primitives, lock, store, worktree, registry) are found through each package's
// node_modules links and bundled in; only Node built-ins stay outside.
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cliDir = fileURLToPath(new URL('..', import.meta.url));
// Chunk names carry content hashes: without a clean folder, every build would add to the
// chunks of all earlier ones, and `npm pack` would ship them all.
rmSync(`${cliDir}/bundle`, { recursive: true, force: true });

// The lock package loads proper-lockfile with itself (library users take their first lock
// without a module load in between); the CLI loads it on its first lock instead, so that a
// command answered without a lock (a no-op pull or install) never pays 10-15 ms for it.
const lazyProperLockfile = {
  name: 'lazy-proper-lockfile',
  setup(b) {
    b.onResolve({ filter: /proper-lockfile-impl\.js$/ }, (args) => ({ path: args.resolveDir + '/proper-lockfile-lazy.js' }));
  },
};

// graceful-fs is proper-lockfile's default `fs`, never used because the lock package passes its own.
const noGracefulFs = {
  name: 'no-graceful-fs',
  setup(b) {
    b.onResolve({ filter: /^graceful-fs$/ }, () => ({ path: fileURLToPath(new URL('./node-fs-shim.cjs', import.meta.url)) }));
  },
};

// CommonJS dependencies (cacache, proper-lockfile, ...) call require() for Node built-ins.
const REQUIRE_BANNER = "import { createRequire as __swampStoreRequire } from 'node:module'; const require = __swampStoreRequire(import.meta.url);";

await build({
  entryPoints: [`${cliDir}/dist/main.js`],
  plugins: [lazyProperLockfile, noGracefulFs],
  outdir: `${cliDir}/bundle`,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  banner: { js: REQUIRE_BANNER },
  // Chunks beside main.js: code that resolves '../package.json' or '../bin/' from import.meta.url must sit one level below packages/cli.
  chunkNames: '[name]-[hash]',
  legalComments: 'none',
  logLevel: 'warning',
});

// The banner defines `require` for CommonJS dependencies, but only esbuild's runtime chunk (its
// __require shim) uses it: every other chunk would import node:module and call createRequire for
// nothing, on every command.
for (const name of readdirSync(`${cliDir}/bundle`)) {
  if (!name.endsWith('.js')) continue;
  const file = `${cliDir}/bundle/${name}`;
  const text = readFileSync(file, 'utf8');
  if (!text.startsWith(REQUIRE_BANNER)) continue;
  const rest = text.slice(REQUIRE_BANNER.length);
  if (!/(?<![\w$.])require(?![\w$])/.test(rest)) writeFileSync(file, rest.replace(/^\n/, ''));
}

