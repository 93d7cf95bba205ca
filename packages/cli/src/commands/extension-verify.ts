import { openRepo, openStoreFromEnv } from '../context.js';
import type { CommandOptions } from '../command-options.js';
import type { Output } from '../output.js';
import { plural } from '../format.js';
import { healFirst } from '../store-repairs.js';

export async function verify(_args: string[], opts: CommandOptions, out: Output): Promise<number> {
  const [store, repo, worktree] = await Promise.all([openStoreFromEnv(), openRepo(opts), import('@swamp-store/worktree')]);
  await healFirst(worktree, out, repo, store);
  const problems = await worktree.verifyWorktree(repo, store);
  for (const p of problems) out.line(`${p.problem.padEnd(12)} ${p.path}${p.name ? `  (${p.name})` : ''}`);
  if (problems.length === 0) out.line('All installed extensions match the lockfile and the store.');
  else out.notice(`${plural(problems.length, 'problem')} found. ${verifyRemedy(problems.map((p) => p.problem))}`);
  out.result({ ok: problems.length === 0, problems });
  return problems.length === 0 ? 0 : 1;
}

/**
 * The command that really fixes what was found: `install` restores missing
 * files and fetches what the store lacks, but leaves hand edits alone unless
 * told with --force (an edit is someone's work).
 */
export function verifyRemedy(kinds: readonly string[]): string {
  if (kinds.includes('modified')) return "Run 'swamp-store extension install --force' to put back the lockfile's files (this replaces the edited ones).";
  return "Run 'swamp-store extension install' to restore the lockfile's state.";
}
