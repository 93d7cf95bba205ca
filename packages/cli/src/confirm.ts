import readline from 'node:readline/promises';
import type { Output } from './output.js';

/**
 * Asks before destructive work, as Swamp's `data gc` does: only when a human
 * is at a TTY and neither --yes nor --json was given. Scripts and agents are
 * never blocked by a prompt.
 */
export async function confirm(out: Output, question: string, yes: boolean): Promise<boolean> {
  if (yes || out.json || !process.stdin.isTTY || !process.stderr.isTTY) return true;
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
