import { openRepo, openStoreFromEnv } from '../context.js';
import type { CommandOptions } from '../command-options.js';
import { healFirst } from '../store-repairs.js';
import type { Output } from '../output.js';
import { plural } from '../format.js';

export async function list(_args: string[], opts: CommandOptions, out: Output): Promise<number> {
  const [store, repo, worktree] = await Promise.all([openStoreFromEnv(), openRepo(opts), import('@swamp-store/worktree')]);
  await healFirst(worktree, out, repo, store);
  const extensions = await worktree.listExtensions(repo);
  if (extensions.length === 0) out.line('No extensions installed.');
  for (const e of extensions) out.line(`${e.name}@${e.version}  ${plural(e.files, 'file')}  pulled ${e.pulledAt}`);
  out.result({ extensions });
  return 0;
}
