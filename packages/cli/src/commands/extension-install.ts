import type { LinkMode, Resolver } from '@swamp-store/worktree';
import { openRemote, openRepo, openStoreFromEnv, registryUrl } from '../context.js';
import type { CommandOptions } from '../command-options.js';
import { settings } from '../settings.js';
import type { Output } from '../output.js';
import { reportInstalled } from './report-install.js';
import { plural } from '../format.js';
import { healFirst } from '../store-repairs.js';

export async function install(_args: string[], opts: CommandOptions, out: Output): Promise<number> {
  const [store, repo, worktree] = await Promise.all([openStoreFromEnv(), openRepo(opts), import('@swamp-store/worktree')]);
  // Everything in place: answered without a lock, a write, or loading the registry client.
  const done = opts.force ? undefined : await worktree.noopInstall(repo, store);
  if (done) {
    if (done.length === 0) out.line('The lockfile lists no extensions.');
    reportInstalled(out, repo, done, 'Restored');
    return 0;
  }
  const remote = await openRemote(opts, out);
  const offline = Boolean(opts.offline);
  // The registry client loads only when an entry's tree and archive are both missing from the store.
  let resolver: Promise<Resolver> | undefined;
  const resolve: Resolver = async (ref, hint) => {
    resolver ??= import('@swamp-store/registry').then((registry) => registry.createResolver({ store, registryUrl: registryUrl(opts), settings: settings(), offline, remote }));
    return (await resolver)(ref, hint);
  };
  await healFirst(worktree, out, repo, store);
  await out.showPhaseProgress();
  const report = await worktree.installFromLockfile({ repo, store, resolve, offline, linkMode: (opts.linkMode as LinkMode | undefined) ?? 'auto', force: Boolean(opts.force) });
  if (report.pruned.length) out.notice(`Removed ${plural(report.pruned.length, 'file')} that no lockfile entry lists.`);
  if (report.extensions.length === 0) out.line('The lockfile lists no extensions.');
  reportInstalled(out, repo, report.extensions, 'Restored');
  return 0;
}
