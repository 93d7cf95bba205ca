import { Command, CommanderError, Option } from 'commander';
import type { CommandOptions } from './command-options.js';
import { CliError, EXIT } from './errors.js';
import { installFatalHandlers } from './fatal.js';
import { Output } from './output.js';
import { settings } from './settings.js';
import { VERSION } from './version.js';

// Kept importable from here for commands written against main.ts; new code imports command-options.js.
export type { CommandOptions };

type Action = (args: string[], opts: CommandOptions, out: Output) => Promise<number | void>;

/** Lazy: a command's module (and its heavy dependencies) loads only when that command runs. */
type Loader = () => Promise<Action>;

const commands = {
  pull: () => import('./commands/extension-pull.js').then((m) => m.pull),
  install: () => import('./commands/extension-install.js').then((m) => m.install),
  rm: () => import('./commands/extension-rm.js').then((m) => m.rm),
  list: () => import('./commands/extension-list.js').then((m) => m.list),
  verify: () => import('./commands/extension-verify.js').then((m) => m.verify),
  gc: () => import('./commands/cache-gc.js').then((m) => m.gc),
  cacheVerify: () => import('./commands/cache-verify.js').then((m) => m.cacheVerify),
  ls: () => import('./commands/cache-ls.js').then((m) => m.ls),
  path: () => import('./commands/cache-path.js').then((m) => m.cachePath),
  push: () => import('./commands/cache-push.js').then((m) => m.cachePush),
  serve: () => import('./commands/registry-serve.js').then((m) => m.serve),
  update: () => import('./commands/extension-update.js').then((m) => m.update),
  outdated: () => import('./commands/extension-update.js').then((m) => m.outdated),
} satisfies Record<string, Loader>;

let exitCode: number = EXIT.ok;

function wantsJson(argv: readonly string[]): boolean {
  return argv.includes('--json');
}

/** The lock package's process-wide defaults: the wait reporter and SWAMP_STORE_LOCK_TIMEOUT_MS from the settings table. */
async function reportLockWaits(out: Output): Promise<void> {
  const { setDefaultLockTimeout, setLockWaitReporter } = await import('@swamp-store/lock');
  setDefaultLockTimeout(settings().lockTimeoutMs);
  setLockWaitReporter(({ lockPath, holder }) => {
    const who = holder ? `pid ${holder.pid} (${holder.command}) since ${holder.acquiredAt}` : 'another process';
    out.notice(`Waiting for lock ${lockPath} held by ${who}...`);
  });
}

function action(load: Loader) {
  return async (...raw: unknown[]): Promise<void> => {
    const cmd = raw[raw.length - 1] as Command;
    const opts = cmd.opts() as CommandOptions;
    const args = cmd.args;
    const out = new Output(Boolean(opts.json));
    out.quiet = Boolean(opts.quiet);
    try {
      // Both are module loads: started together, one's file reads overlap the other's compiling.
      const [run] = await Promise.all([load(), reportLockWaits(out)]);
      const code = await run(args, opts, out);
      exitCode = typeof code === 'number' ? code : EXIT.ok;
    } catch (err) {
      exitCode = out.error(err);
    }
  };
}

const repoDir = () => new Option('--repo-dir <dir>', 'repository root (default: $SWAMP_REPO_DIR, else found from the working directory)');
const json = () => new Option('--json', 'print exactly one JSON document on stdout');
const remote = () => new Option('--remote <url>', 'shared OCI cache, oci://HOST[:PORT]/REPO or oci+http://... (default: $SWAMP_STORE_REMOTE)');

function build(): Command {
  const program = new Command('swamp-store')
    .description('A shared, integrity-addressed store for Swamp extensions: unpack once, hardlink into every worktree.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(use --help for usage)')
    .exitOverride();

  const ext = program.command('extension').description('install extensions into this repository (Swamp-compatible layout and lockfile)');
  ext
    .command('pull')
    .description('pull extensions by name (@scope/name[@version]), archive path or http(s) URL, with their dependencies')
    .argument('<ref...>', 'what to pull')
    .addOption(repoDir())
    .option('--registry <url>', 'registry base URL (default: $SWAMP_CLUB_URL or https://swamp-club.com)')
    .addOption(new Option('--channel <channel>', 'release channel').choices(['beta', 'rc', 'stable']))
    .addOption(new Option('--link-mode <mode>', 'how files get into the worktree').choices(['auto', 'hardlink', 'copy']).default('auto'))
    .option('--offline', 'never touch the network; use what the store has')
    .option('-f, --force', 'replace files that were edited by hand')
    .addOption(remote())
    .addOption(json())
    .action(action(commands.pull));
  ext
    .command('install')
    .description('restore every lockfile entry (from the store when possible) and remove files of versions no longer listed')
    .addOption(repoDir())
    .option('--registry <url>', 'registry base URL for entries the store lacks')
    .option('--offline', 'never touch the network')
    .addOption(new Option('--link-mode <mode>', 'how files get into the worktree').choices(['auto', 'hardlink', 'copy']).default('auto'))
    .addOption(remote())
    .option('-f, --force', "replace files that were edited by hand with the lockfile's")
    .addOption(json())
    .action(action(commands.install));
  ext
    .command('rm')
    .alias('remove')
    .description('remove extensions and exactly the files they installed')
    .argument('<name...>', 'extension names')
    .addOption(repoDir())
    .option('-y, --yes', 'do not ask for confirmation')
    .addOption(json())
    .action(action(commands.rm));
  ext
    .command('update')
    .description("update installed extensions to the latest version of their channel (Swamp's semantics; linked worktrees are replaced by rename, never written through)")
    .argument('[name...]', 'extensions to update (default: every lockfile entry)')
    .addOption(repoDir())
    .option('--registry <url>', 'registry base URL (default: $SWAMP_CLUB_URL or https://swamp-club.com)')
    .addOption(new Option('--channel <channel>', "release channel to compare against (default: each entry's own)").choices(['beta', 'rc', 'stable']))
    .option('--check', "only show what is outdated (as 'extension outdated')")
    .addOption(new Option('--link-mode <mode>', 'how files get into the worktree').choices(['auto', 'hardlink', 'copy']).default('auto'))
    .option('-f, --force', 'replace files that were edited by hand')
    .addOption(remote())
    .addOption(json())
    .action(action(commands.update));
  ext
    .command('outdated')
    .description('list extensions with a newer version on their channel; exit 1 when an update is available (a CI gate)')
    .addOption(repoDir())
    .option('--registry <url>', 'registry base URL (default: $SWAMP_CLUB_URL or https://swamp-club.com)')
    .addOption(new Option('--channel <channel>', "release channel to compare against (default: each entry's own)").choices(['beta', 'rc', 'stable']))
    .addOption(json())
    .action(action(commands.outdated));
  ext.command('list').alias('ls').description('list installed extensions').addOption(repoDir()).addOption(json()).action(action(commands.list));
  ext
    .command('verify')
    .description('check lockfile vs disk vs store; exit 1 when anything is wrong')
    .addOption(repoDir())
    .addOption(json())
    .action(action(commands.verify));

  const cache = program.command('cache').description('inspect and maintain the global store');
  cache
    .command('gc')
    .description('remove trees and archives no worktree or running command uses')
    .option('--dry-run', 'list what would be removed, remove nothing')
    .option('--max-age <duration>', "grace period since last use, e.g. '1h', '30m', '7d', '0' (default 1h for trees, 7d for archives)")
    .option('-y, --yes', 'do not ask for confirmation')
    .addOption(json())
    .action(action(commands.gc));
  cache
    .command('verify')
    .description('re-hash every tree and archive; exit 1 when anything is wrong')
    .option('--repair', 're-extract damaged trees from good archives, remove damaged archives')
    .addOption(json())
    .action(action(commands.cacheVerify));
  cache.command('ls').description('list trees, archives and roots with logical vs physical bytes').addOption(json()).action(action(commands.ls));
  cache.command('path').description('print the store directory').addOption(json()).action(action(commands.path));
  cache
    .command('push')
    .description('seed the remote cache (SWAMP_STORE_REMOTE or --remote) with archives from this store')
    .argument('[name...]', 'extensions to push (@scope/name or @scope/name@version)')
    .option('--all', 'push every archive in the store')
    .addOption(remote())
    .addOption(json())
    .action(action(commands.push));

  const registry = program.command('registry').description('a local registry server');
  registry
    .command('serve')
    .description('serve a folder of extension archives over Swamp\'s registry API')
    .requiredOption('--dir <dir>', 'folder of *.tar.gz archives (beta/ and rc/ subfolders are those channels)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port (0 picks a free one)', '0')
    .option('--log', 'print one line per request on stderr')
    .addOption(json())
    .action(action(commands.serve));
  return program;
}

/** Runs the CLI and returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  exitCode = EXIT.ok;
  const json = wantsJson(argv);
  installFatalHandlers(json);
  const program = build();
  if (json) program.configureOutput({ writeErr: () => undefined });
  for (const sub of program.commands.flatMap((c) => [c, ...c.commands])) {
    if (sub.commands.length === 0) sub.option('-q, --quiet', 'no progress lines, even on a terminal');
    sub.exitOverride();
    if (json) sub.configureOutput({ writeErr: () => undefined });
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return EXIT.ok; // --help, --version
      const out = new Output(json);
      if (json) return out.error(new CliError('E_USAGE', err.message.replace(/^error: /, '')));
      return EXIT.usage;
    }
    return new Output(json).error(err);
  }
  return exitCode;
}
