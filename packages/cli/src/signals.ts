import { CliError } from './errors.js';
import { jsonMode, reportError } from './fatal.js';
import { formatBytes } from './format.js';

/**
 * Ctrl-C and SIGTERM: stop, remove what this process made (a partial
 * download, a staging tree in the store, a worktree transaction still
 * staging), say what state the worktree is in and what to run, exit 130.
 * The cleanups are synchronous: while they run, no other JavaScript of this
 * process does, so nothing is half-removed under a running step. A worktree
 * transaction already moving files into place is let finish (milliseconds);
 * a second signal exits at once.
 */

export const INTERRUPTED_EXIT = 130;
const COMMIT_WAIT_MS = 10_000;

interface Scope {
  storeWork?: () => number;
  worktree?: { dir: string; abandon: () => 'none' | 'rolled-back' | 'committing' };
}

const scope: Scope = {};
let installed = false;
let interrupted = false;

/** The store this command writes into: its own unfinished work there is removed on interrupt. */
export function onInterruptDiscardStoreWork(discard: () => number): void {
  scope.storeWork = discard;
  install();
}

/** The worktree this command changes: a transaction still staging is rolled back on interrupt. */
export function onInterruptAbandonTransaction(dir: string, abandon: () => 'none' | 'rolled-back' | 'committing'): void {
  scope.worktree = { dir, abandon };
  install();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('SIGINT', () => interrupt('SIGINT'));
  process.on('SIGTERM', () => interrupt('SIGTERM'));
}

function interrupt(signal: string): void {
  if (interrupted) process.exit(INTERRUPTED_EXIT);
  interrupted = true;
  finish(signal, Date.now() + COMMIT_WAIT_MS);
}

function finish(signal: string, deadline: number): void {
  let state = 'none';
  try {
    state = scope.worktree?.abandon() ?? 'none';
  } catch {
    state = 'unknown';
  }
  if (state === 'committing' && Date.now() < deadline) {
    setTimeout(() => finish(signal, deadline), 20);
    return;
  }
  let freed = 0;
  try {
    freed = scope.storeWork?.() ?? 0;
  } catch {
    // best effort: what is left is a dead process's, which gc removes
  }
  const store = freed > 0 ? ` Removed this command's unfinished work in the store (${formatBytes(freed)}).` : '';
  const where = scope.worktree ? ` in ${scope.worktree.dir}` : '';
  const worktree =
    state === 'committing' || state === 'unknown'
      ? ` The worktree${where} was being updated; the next swamp-store command there completes it.`
      : state === 'rolled-back'
        ? ` The worktree${where} is consistent: the extension being installed was rolled back; extensions this command already installed stay installed and listed in the lockfile.`
        : scope.worktree
          ? ` The worktree${where} is consistent: extensions this command already installed stay installed and listed in the lockfile.`
          : '';
  const err = new CliError(
    'E_INTERRUPTED',
    `Interrupted by ${signal}.${store}${worktree}`,
    scope.worktree ? "Run the same command again to finish (or 'swamp-store extension install' to restore the lockfile's state)." : 'Run the same command again.',
  );
  reportError(err, jsonMode());
  process.exit(INTERRUPTED_EXIT);
}
