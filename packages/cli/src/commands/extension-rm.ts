import { CliError } from '../errors.js';
import { confirm } from '../confirm.js';
import { openRepo, openStoreFromEnv } from '../context.js';
import type { CommandOptions } from '../command-options.js';
import type { Output } from '../output.js';
import { plural } from '../format.js';
import { healFirst } from '../store-repairs.js';

export async function rm(names: string[], opts: CommandOptions, out: Output): Promise<number> {
  if (names.length === 0) throw new CliError('E_USAGE', 'Name at least one extension to remove.');
  const [store, repo, worktree] = await Promise.all([openStoreFromEnv(), openRepo(opts), import('@swamp-store/worktree')]);
  if (!(await confirm(out, `Remove ${names.join(', ')} and the files they installed?`, Boolean(opts.yes)))) {
    out.notice('Nothing removed.');
    return 1;
  }
  await healFirst(worktree, out, repo, store);
  const removed = await worktree.removeExtensions(repo, store, names);
  for (const r of removed) out.line(`Removed ${r.name}@${r.version} (${plural(r.filesDeleted, 'file')}).`);
  out.result({ removed });
  return 0;
}
