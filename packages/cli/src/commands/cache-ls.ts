import { formatBytes, openStoreFromEnv } from '../context.js';
import type { CommandOptions } from '../command-options.js';
import type { Output } from '../output.js';
import { plural } from '../format.js';

export async function ls(_args: string[], _opts: CommandOptions, out: Output): Promise<number> {
  const [store, storePkg, worktree] = await Promise.all([openStoreFromEnv(), import('@swamp-store/store'), import('@swamp-store/worktree')]);
  const listing = await storePkg.listStore(store, { filesOf: worktree.materializedFiles });
  out.line(`Store: ${listing.dir}`);
  out.line(`Trees (${listing.trees.length}):`);
  for (const t of listing.trees) {
    out.line(`  ${t.checksum.slice(0, 12)}  ${t.name ?? '?'}@${t.version ?? '?'}  ${plural(t.files, 'file')}  ${formatBytes(t.bytes)}  last used ${t.lastUsed}`);
  }
  out.line(`Archives (${listing.archives.length}):`);
  for (const a of listing.archives) out.line(`  ${a.checksum.slice(0, 12)}  ${a.name ?? '?'}@${a.version ?? '?'}  ${formatBytes(a.bytes)}`);
  out.line(`Roots (${listing.roots.length}):`);
  for (const r of listing.roots) out.line(`  ${r.repoDir}${r.alive ? '' : '  (gone; the next gc drops it)'}`);
  out.line(`Logical ${formatBytes(listing.logicalBytes)}, physical ${formatBytes(listing.physicalBytes)} (hardlinked files counted once).`);
  out.result(listing);
  return 0;
}
