import type { LinkMode } from '@swamp-store/worktree';
import { autoGcEnabled } from '../auto-gc-env.js';
import { CliError } from '../errors.js';
import { settings } from '../settings.js';
import { openRemote, openRepo, openStoreFromEnv, registryUrl } from '../context.js';
import type { CommandOptions } from '../command-options.js';
import type { Output } from '../output.js';
import { reportInstalled } from './report-install.js';
import { healFirst } from '../store-repairs.js';

export async function pull(refs: string[], opts: CommandOptions, out: Output): Promise<number> {
  if (refs.length === 0) throw new CliError('E_USAGE', 'Name at least one extension to pull.', "Use 'swamp-store extension pull @scope/name'.");
  const [store, repo, worktree, refKinds] = await Promise.all([
    openStoreFromEnv(),
    openRepo(opts),
    import('@swamp-store/worktree'),
    import('@swamp-store/registry/refs').then((m) => refs.map((r) => m.classifyRef(r))),
  ]);
  // Local archives already in place: answered without a lock, a write, or loading the registry client.
  if (!opts.force && refKinds.every((k) => k.kind === 'path')) {
    const done = await worktree.noopPullOfArchives(repo, store, refKinds.map((k) => (k as { path: string }).path));
    if (done) {
      reportInstalled(out, repo, done, 'Pulled');
      return 0;
    }
  }
  const [registry, remote] = await Promise.all([import('@swamp-store/registry'), openRemote(opts, out)]);
  const channel = opts.channel === 'beta' || opts.channel === 'rc' ? opts.channel : undefined;
  const resolve = registry.createResolver({
    store,
    registryUrl: registryUrl(opts),
    settings: settings(),
    channel,
    offline: Boolean(opts.offline),
    remote,
  });
  await healFirst(worktree, out, repo, store);
  await out.showPhaseProgress();
  const results = await worktree.pullExtensions({
    repo,
    store,
    // The same ref twice would run two transactions for one extension and
    // report it twice; once is what the user meant.
    refs: [...new Set(refs)],
    resolve,
    linkMode: (opts.linkMode as LinkMode | undefined) ?? 'auto',
    force: Boolean(opts.force),
    onEvent: (e) => {
      if (e.type === 'cycle') out.notice(`Note: dependency cycle ${e.chain.join(' -> ')}; each extension is pulled once.`);
    },
  });
  reportInstalled(out, repo, results, 'Pulled');
  // After the result is printed: starts a detached gc at most once a day when SWAMP_STORE_AUTO_GC=1 (auto-gc.ts).
  if (autoGcEnabled()) {
    const { maybeStartAutoGc } = await import('../auto-gc.js');
    await maybeStartAutoGc(store);
  }
  return 0;
}
