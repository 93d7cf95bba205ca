import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JOURNAL_FILE, type Journal } from './journal.js';

/** What an interrupted process did to the worktree's transaction in flight. */
export type InterruptedTransaction =
  /** No transaction of this process was under way. */
  | 'none'
  /** It was staging: nothing in the worktree had changed; staging and journal removed. */
  | 'rolled-back'
  /** It was committing (moving staged files into place): let it finish, it takes milliseconds. */
  | 'committing';

/**
 * Called from a SIGINT/SIGTERM handler, so synchronous: no other JavaScript
 * of this process runs until it returns and the process exits. A transaction
 * still staging has changed nothing in the worktree, so its staging folder
 * and journal go (what recovery would do on the next command, done now so
 * nothing is left behind). One already committing must not be cut short:
 * the caller waits for it and asks again.
 */
export function abandonOwnTransactionSync(repoDir: string): InterruptedTransaction {
  let journal: Journal;
  try {
    journal = JSON.parse(fs.readFileSync(path.join(repoDir, JOURNAL_FILE), 'utf8')) as Journal;
  } catch {
    return 'none';
  }
  if (journal.pid !== process.pid || journal.host !== os.hostname()) return 'none';
  if (journal.phase === 'commit') return 'committing';
  fs.rmSync(path.join(repoDir, journal.staging), { recursive: true, force: true });
  fs.rmSync(path.join(repoDir, JOURNAL_FILE), { force: true });
  return 'rolled-back';
}
