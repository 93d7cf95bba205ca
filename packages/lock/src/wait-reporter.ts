import type { HolderInfo } from './holder.js';

export interface LockWaitEvent {
  lockPath: string;
  holder?: HolderInfo;
  waitedMs: number;
  /** Who holds the lock, ready to print (covers Swamp's own lock file, which has no holder). */
  description: string;
}

export type LockWaitReporter = (event: LockWaitEvent) => void;

let globalReporter: LockWaitReporter | undefined;

/** Process-wide: the CLI sets it once to print "waiting for ..." after a second of waiting. */
export function setLockWaitReporter(reporter: LockWaitReporter | undefined): void {
  globalReporter = reporter;
}

/** A per-call reporter replaces the global one. A failing reporter must never break locking. */
export function reportWait(event: LockWaitEvent, local: LockWaitReporter | undefined): void {
  const reporter = local ?? globalReporter;
  if (!reporter) return;
  try {
    reporter(event);
  } catch {
    // Reporting is cosmetic.
  }
}
