import type * as RegistryPkg from '@swamp-store/registry';
import type { Channel, LinkMode, UpdateOptions, UpdateStatus } from '@swamp-store/worktree';
import { openRemote, openRepo, openStoreFromEnv, registryUrl } from '../context.js';
import type { CommandOptions } from '../command-options.js';
import { settings } from '../settings.js';
import type { Output } from '../output.js';
import { healFirst } from '../store-repairs.js';
import { plural } from '../format.js';

type Registry = typeof RegistryPkg;

/** What update and outdated share: the repository, the store, and registry look-ups by channel. */
async function setUp(names: string[], opts: CommandOptions, out: Output) {
  const [store, repo, worktree, registry, remote] = await Promise.all([
    openStoreFromEnv(),
    openRepo(opts),
    import('@swamp-store/worktree'),
    import('@swamp-store/registry'),
    openRemote(opts, out),
  ]);
  await healFirst(worktree, out, repo, store);
  const url = registryUrl(opts);
  const client = registry.createRegistryClient({ baseUrl: url, settings: settings() });
  const flag = opts.channel === 'beta' || opts.channel === 'rc' || opts.channel === 'stable' ? opts.channel : undefined;
  const options: UpdateOptions = {
    repo,
    store,
    names,
    channel: flag,
    compare: registry.compareCalVer,
    latest: (name, channel) => latestOf(registry, client, name, channel),
    resolverFor: (channel: Channel | undefined) =>
      registry.createResolver({ store, registryUrl: url, settings: settings(), channel, remote }),
    linkMode: (opts.linkMode as LinkMode | undefined) ?? 'auto',
    force: Boolean(opts.force),
  };
  return { worktree, options };
}

/** Swamp's look-up: the stable line from the extension's info, other channels from `/latest?channel=` (deprecation still from the info). */
async function latestOf(registry: Registry, client: InstanceType<Registry['RegistryClient']>, name: string, channel: Channel | undefined) {
  if (channel) {
    const latest = await client.latest(name, channel);
    const info = await client.info(name).catch(() => undefined);
    return { latestVersion: latest.version, deprecatedAt: info?.deprecatedAt ?? null };
  }
  const info = await client.info(name);
  return { latestVersion: info.latestVersion, deprecatedAt: info.deprecatedAt };
}

function describe(s: UpdateStatus): string {
  switch (s.status) {
    case 'up_to_date':
      return `${s.name}@${s.installedVersion} is up to date.`;
    case 'update_available':
      return `${s.name}: ${s.installedVersion} -> ${s.latestVersion ?? '?'} available.`;
    case 'updated':
      return `Updated ${s.name}: ${s.previousVersion ?? s.installedVersion} -> ${s.newVersion ?? '?'}.`;
    case 'deprecated':
      return `${s.name}@${s.installedVersion} is deprecated${s.supersededBy ? `; use ${s.supersededBy}` : ''}.`;
    default:
      return `${s.name}@${s.installedVersion}: ${s.error ?? s.status}`;
  }
}

/** `extension update [names]`: Swamp's `extension update`; exit 0 with failures in the summary, as Swamp does. */
export async function update(names: string[], opts: CommandOptions, out: Output): Promise<number> {
  const { worktree, options } = await setUp(names, opts, out);
  if (opts.check) return report(out, await worktree.checkUpdates(options));
  const result = await worktree.updateExtensions(options);
  for (const s of result.extensions) out.line(describe(s));
  if (result.extensions.length === 0) out.line('No extensions installed.');
  const { summary } = result;
  out.line(`${plural(summary.total, 'extension')}: ${summary.updated} updated, ${summary.upToDate} up to date, ${summary.failed} failed`);
  out.result({ extensions: result.extensions, summary });
  return 0;
}

/** `extension outdated`: what update would change; exit 1 only when an update is available (a CI gate), as Swamp does. */
export async function outdated(_args: string[], opts: CommandOptions, out: Output): Promise<number> {
  const { worktree, options } = await setUp([], opts, out);
  return report(out, await worktree.checkUpdates(options));
}

function report(out: Output, statuses: UpdateStatus[]): number {
  const shown = statuses.filter((s) => s.status !== 'up_to_date');
  for (const s of shown) out.line(describe(s));
  if (shown.length === 0) out.line('All extensions are up to date.');
  const hasUpdateAvailable = shown.some((s) => s.status === 'update_available');
  out.result({ extensions: shown, hasUpdateAvailable, hasDeprecated: shown.some((s) => s.status === 'deprecated') });
  return hasUpdateAvailable ? 1 : 0;
}
