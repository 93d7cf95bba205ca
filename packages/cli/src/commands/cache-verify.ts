import type { ReplacedTree } from '@swamp-store/store';
import { openStoreFromEnv } from '../context.js';
import type { CommandOptions } from '../command-options.js';
import type { Output } from '../output.js';
import { plural } from '../format.js';
import { describeRepair } from '../store-repairs.js';

export async function cacheVerify(_args: string[], opts: CommandOptions, out: Output): Promise<number> {
  const [store, storePkg] = await Promise.all([openStoreFromEnv(), import('@swamp-store/store')]);
  const repair = Boolean(opts.repair);
  const replaced: ReplacedTree[] = [];
  const result = await storePkg.verifyStore(store, { repair, onReplaced: (r) => replaced.push(r), onProgress: (text: string) => out.progress(text) });
  if (replaced.length > 0) {
    // A tree damaged by a write through a worktree's link: every worktree naming it still links the written inodes.
    const worktree = await import('@swamp-store/worktree');
    for (const r of replaced) out.warn(describeRepair(await worktree.relinkReplacedTree(store, r)));
  }
  const fixed = new Set(result.repaired);
  for (const p of result.problems) out.line(`${p.problem.padEnd(10)} ${p.path}${fixed.has(p.checksum) ? '  (repaired)' : ''}`);
  if (result.problems.length === 0) out.line('Every tree and archive in the store matches its checksums.');
  else if (result.ok) out.line(`${plural(result.problems.length, 'problem')} found and repaired; damaged archives will be fetched again on the next pull.`);
  else if (repair) out.notice(`${plural(result.problems.length, 'problem')} found; some could not be repaired (their archive is damaged or gone). Pull those extensions again.`);
  else out.notice(`${plural(result.problems.length, 'problem')} found. Run 'swamp-store cache verify --repair' to fix them.`);
  out.result(result);
  return result.ok ? 0 : 1;
}
