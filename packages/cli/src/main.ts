import { parseCommandLine } from './args.js';
import type { CommandOptions } from './command-options.js';
import type { Action } from './commands-spec.js';
import { EXIT } from './errors.js';
import { installFatalHandlers } from './fatal.js';
import { Output } from './output.js';
import { settings } from './settings.js';
import { VERSION } from './version.js';

// Kept importable from here for commands written against main.ts; new code imports command-options.js.
export type { CommandOptions };

/** The lock package's process-wide defaults: the wait reporter and SWAMP_STORE_LOCK_TIMEOUT_MS from the settings table. */
async function reportLockWaits(out: Output): Promise<void> {
  const { setDefaultLockTimeout, setLockWaitReporter } = await import('@swamp-store/lock');
  setDefaultLockTimeout(settings().lockTimeoutMs);
  setLockWaitReporter(({ lockPath, holder }) => {
    const who = holder ? `pid ${holder.pid} (${holder.command}) since ${holder.acquiredAt}` : 'another process';
    out.notice(`Waiting for lock ${lockPath} held by ${who}...`);
  });
}

/**
 * Runs the CLI and returns the process exit code. Arguments are parsed with
 * node:util's parseArgs against the table in commands-spec.ts; the command's
 * module (and whatever it needs) is loaded only once parsing succeeded.
 */
export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  installFatalHandlers(json);
  let parsed;
  try {
    parsed = parseCommandLine(argv);
  } catch (err) {
    return new Output(json).error(err);
  }
  if (parsed.kind === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  if (parsed.kind === 'help') {
    process.stdout.write(parsed.text);
    return EXIT.ok;
  }
  const out = new Output(Boolean(parsed.opts.json));
  out.quiet = Boolean(parsed.opts.quiet);
  try {
    // Both are module loads: started together, one's file reads overlap the other's compiling.
    const [run] = await Promise.all([parsed.command.load() as Promise<Action>, reportLockWaits(out)]);
    const code = await run(parsed.args, parsed.opts, out);
    return typeof code === 'number' ? code : EXIT.ok;
  } catch (err) {
    return out.error(err);
  }
}
