import { exitCodeFor, toCoded } from './errors.js';
import { settings } from './settings.js';

/**
 * The process-wide safety net: whatever escapes a command (an 'error' event
 * nobody listened to, a rejection nobody awaited) is reported once, in the
 * contract's form (E_INTERNAL with a remedy, one JSON document with --json),
 * instead of Node's stack trace. A closed stdout (`| head -1`) is not an
 * error: output is dropped and the command finishes quietly, so a transaction
 * that was running is never cut in half by a reader that lost interest.
 */

let installed = false;
let json = false;

/** Whether this command was asked for --json (errors reported outside a command's own flow need it). */
export function jsonMode(): boolean {
  return json;
}
let reported = false;
function isClosedPipe(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED';
}

/** Writes the error in the contract's form and returns the exit code; never throws (stderr itself may be closed). */
export function reportError(err: unknown, json: boolean, stderr: NodeJS.WritableStream = process.stderr): number {
  const coded = toCoded(err);
  try {
    if (json) {
      stderr.write(`${JSON.stringify({ error: coded.message, code: coded.code, ...(coded.remedy ? { remedy: coded.remedy } : {}) })}\n`);
    } else {
      stderr.write(`Error: ${coded.message}${coded.remedy ? ` ${coded.remedy}` : ''}\n`);
    }
    if (coded.code === 'E_INTERNAL' && settings().debug && err instanceof Error && err.stack) stderr.write(`${err.stack}\n`);
  } catch {
    // nowhere left to report to
  }
  return exitCodeFor(coded.code);
}

/** Installs the handlers once per process. `json` decides the error document's form. */
export function installFatalHandlers(jsonOutput: boolean): void {
  json = jsonOutput;
  if (installed) return;
  installed = true;
  // A reader that closed the pipe: drop the rest of stdout, keep working, exit as planned.
  process.stdout.on('error', (err) => {
    if (!isClosedPipe(err)) fatal(err);
  });
  process.stderr.on('error', () => undefined);
  const fatal = (err: unknown): void => {
    if (reported) return;
    reported = true;
    const code = reportError(err, json);
    process.exit(code);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
}
