import { openRepo, openStoreFromEnv } from '../context.js';
import type { CommandOptions } from '../main.js';
import type { Output } from '../output.js';
import { plural } from '../format.js';

export async function verify(_args: string[], opts: CommandOptions, out: Output): Promise<number> {
  const [store, repo, worktree] = await Promise.all([openStoreFromEnv(), openRepo(opts), import('@swamp-store/worktree')]);
  const problems = await worktree.verifyWorktree(repo, store);
  for (const p of problems) out.line(`${p.problem.padEnd(12)} ${p.path}${p.name ? `  (${p.name})` : ''}`);
  if (problems.length === 0) out.line('All installed extensions match the lockfile and the store.');
  else out.notice(`${plural(problems.length, 'problem')} found. Run 'swamp-store extension install' to restore the lockfile's state.`);
  out.result({ ok: problems.length === 0, problems });
  return problems.length === 0 ? 0 : 1;
}
