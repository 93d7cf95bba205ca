/**
 * The command-line contract of docs/CLI.md as data: commands, arguments, options,
 * help texts. Parsed by args.ts with node:util's parseArgs (built in), so the
 * hot path loads no argument-parsing library. Each command's implementation is
 * a lazily loaded module: its dependencies load only when it runs.
 */
import type { CommandOptions } from './command-options.js';
import type { Output } from './output.js';

export type { CommandOptions };

export type Action = (args: string[], opts: CommandOptions, out: Output) => Promise<number | void>;

export interface OptionSpec {
  /** Long name without dashes, e.g. `repo-dir`; the parsed value is keyed camelCase (`repoDir`). */
  long: string;
  short?: string;
  /** Placeholder of a value-taking option (`<dir>`); absent for a flag. */
  value?: string;
  description: string;
  choices?: readonly string[];
  default?: string;
  required?: boolean;
}

export interface CommandSpec {
  /** `extension pull` is ['extension', 'pull']. */
  path: readonly [string, string];
  aliases?: readonly string[];
  description: string;
  /** A positional list: `<ref...>` (required) or `[name...]` (optional). */
  args?: { name: string; required: boolean; description: string };
  options: readonly OptionSpec[];
  load: () => Promise<Action>;
}

export interface GroupSpec {
  name: string;
  description: string;
}

const repoDir: OptionSpec = { long: 'repo-dir', value: '<dir>', description: 'repository root (default: $SWAMP_REPO_DIR, else found from the working directory)' };
const json: OptionSpec = { long: 'json', description: 'print exactly one JSON document on stdout' };
const linkMode: OptionSpec = { long: 'link-mode', value: '<mode>', description: 'how files get into the worktree', choices: ['auto', 'hardlink', 'copy'], default: 'auto' };
const offline = (description: string): OptionSpec => ({ long: 'offline', description });
const yes: OptionSpec = { long: 'yes', short: 'y', description: 'do not ask for confirmation' };
const registry = (description: string): OptionSpec => ({ long: 'registry', value: '<url>', description });
const defaultRegistry = registry('registry base URL (default: $SWAMP_CLUB_URL or https://swamp-club.com)');
const channel = (description: string): OptionSpec => ({ long: 'channel', value: '<channel>', description, choices: ['beta', 'rc', 'stable'] });
const compareChannel = channel("release channel to compare against (default: each entry's own)");
const remote: OptionSpec = { long: 'remote', value: '<url>', description: 'shared OCI cache, oci://HOST[:PORT]/REPO or oci+http://... (default: $SWAMP_STORE_REMOTE)' };

export const GROUPS: readonly GroupSpec[] = [
  { name: 'extension', description: 'install extensions into this repository (Swamp-compatible layout and lockfile)' },
  { name: 'cache', description: 'inspect and maintain the global store' },
  { name: 'registry', description: 'a local registry server' },
];

export const PROGRAM_DESCRIPTION = 'A shared, integrity-addressed store for Swamp extensions: unpack once, hardlink into every worktree.';

export const COMMANDS: readonly CommandSpec[] = [
  {
    path: ['extension', 'pull'],
    description: 'pull extensions by name (@scope/name[@version]), archive path or http(s) URL, with their dependencies',
    args: { name: 'ref', required: true, description: 'what to pull' },
    options: [
      repoDir,
      defaultRegistry,
      channel('release channel'),
      linkMode,
      offline('never touch the network; use what the store has'),
      { long: 'force', short: 'f', description: 'replace files that were edited by hand' },
      remote,
      json,
    ],
    load: () => import('./commands/extension-pull.js').then((m) => m.pull),
  },
  {
    path: ['extension', 'install'],
    description: 'restore every lockfile entry (from the store when possible) and remove files of versions no longer listed',
    options: [
      repoDir,
      registry('registry base URL for entries the store lacks'),
      offline('never touch the network'),
      linkMode,
      remote,
      { long: 'force', short: 'f', description: "replace files that were edited by hand with the lockfile's" },
      json,
    ],
    load: () => import('./commands/extension-install.js').then((m) => m.install),
  },
  {
    path: ['extension', 'rm'],
    aliases: ['remove'],
    description: 'remove extensions and exactly the files they installed',
    args: { name: 'name', required: true, description: 'extension names' },
    options: [repoDir, yes, json],
    load: () => import('./commands/extension-rm.js').then((m) => m.rm),
  },
  {
    path: ['extension', 'update'],
    description: "update installed extensions to the latest version of their channel (Swamp's semantics; linked worktrees are replaced by rename, never written through)",
    args: { name: 'name', required: false, description: 'extensions to update (default: every lockfile entry)' },
    options: [
      repoDir,
      defaultRegistry,
      compareChannel,
      { long: 'check', description: "only show what is outdated (as 'extension outdated')" },
      linkMode,
      { long: 'force', short: 'f', description: 'replace files that were edited by hand' },
      remote,
      json,
    ],
    load: () => import('./commands/extension-update.js').then((m) => m.update),
  },
  {
    path: ['extension', 'outdated'],
    description: 'list extensions with a newer version on their channel; exit 1 when an update is available (a CI gate)',
    options: [
      repoDir,
      defaultRegistry,
      compareChannel,
      json,
    ],
    load: () => import('./commands/extension-update.js').then((m) => m.outdated),
  },
  {
    path: ['extension', 'list'],
    aliases: ['ls'],
    description: 'list installed extensions',
    options: [repoDir, json],
    load: () => import('./commands/extension-list.js').then((m) => m.list),
  },
  {
    path: ['extension', 'verify'],
    description: 'check lockfile vs disk vs store; exit 1 when anything is wrong',
    options: [repoDir, json],
    load: () => import('./commands/extension-verify.js').then((m) => m.verify),
  },
  {
    path: ['cache', 'gc'],
    description: 'remove trees and archives no worktree or running command uses',
    options: [
      { long: 'dry-run', description: 'list what would be removed, remove nothing' },
      { long: 'max-age', value: '<duration>', description: "grace period since last use, e.g. '1h', '30m', '7d', '0' (default 1h for trees, 7d for archives)" },
      yes,
      json,
    ],
    load: () => import('./commands/cache-gc.js').then((m) => m.gc),
  },
  {
    path: ['cache', 'verify'],
    description: 're-hash every tree and archive; exit 1 when anything is wrong',
    options: [{ long: 'repair', description: 're-extract damaged trees from good archives, remove damaged archives' }, json],
    load: () => import('./commands/cache-verify.js').then((m) => m.cacheVerify),
  },
  {
    path: ['cache', 'ls'],
    description: 'list trees, archives and roots with logical vs physical bytes',
    options: [json],
    load: () => import('./commands/cache-ls.js').then((m) => m.ls),
  },
  {
    path: ['cache', 'path'],
    description: 'print the store directory',
    options: [json],
    load: () => import('./commands/cache-path.js').then((m) => m.cachePath),
  },
  {
    path: ['cache', 'push'],
    description: 'seed the remote cache (SWAMP_STORE_REMOTE or --remote) with archives from this store',
    args: { name: 'name', required: false, description: 'extensions to push (@scope/name or @scope/name@version)' },
    options: [{ long: 'all', description: 'push every archive in the store' }, remote, json],
    load: () => import('./commands/cache-push.js').then((m) => m.cachePush),
  },
  {
    path: ['registry', 'serve'],
    description: "serve a folder of extension archives over Swamp's registry API",
    options: [
      { long: 'dir', value: '<dir>', description: 'folder of *.tar.gz archives (beta/ and rc/ subfolders are those channels)', required: true },
      { long: 'host', value: '<host>', description: 'address to listen on', default: '127.0.0.1' },
      { long: 'port', value: '<port>', description: 'port (0 picks a free one)', default: '0' },
      { long: 'log', description: 'print one line per request on stderr' },
      json,
    ],
    load: () => import('./commands/registry-serve.js').then((m) => m.serve),
  },
];
