import type { Store } from '@swamp-store/store';
import { WorktreeError } from './errors.js';
import type { LinkMode } from './link.js';
import { readLockfile, type Channel } from './lockfile.js';
import { pullExtensions, type PullResult, type Resolver } from './pull.js';
import { recoverIfNeeded } from './recover.js';
import type { RepoContext } from './repo.js';

/**
 * `extension update` and `extension outdated` with Swamp's semantics
 * (swamp's libswamp/extensions/update.ts and extension_update_service.ts):
 * each lockfile entry (or each named one) is compared with the latest
 * version of ITS channel; an older one is pulled at exactly that version on
 * the same channel, one extension after another, and a failure is recorded
 * for that extension without stopping the others.
 */
export type UpdateStatusKind = 'up_to_date' | 'update_available' | 'updated' | 'not_found' | 'failed' | 'deprecated';

export interface UpdateStatus {
  status: UpdateStatusKind;
  name: string;
  installedVersion: string;
  latestVersion?: string;
  /** Set for `updated`. */
  previousVersion?: string;
  newVersion?: string;
  channel?: Channel;
  error?: string;
  deprecationReason?: string | null;
  supersededBy?: string | null;
}

export interface RegistryLatest {
  latestVersion: string | null;
  deprecatedAt?: string | null;
  deprecationReason?: string | null;
  supersededBy?: string | null;
}

export interface UpdateOptions {
  repo: RepoContext;
  store: Store;
  /** Names to check; empty: every lockfile entry. */
  names: readonly string[];
  /** Latest release of `name` on `channel` (stable when undefined); null when the registry has none. Throwing counts as not found. */
  latest: (name: string, channel: Channel | undefined) => Promise<RegistryLatest | null>;
  /** CalVer order (the registry package's compareCalVer). */
  compare: (a: string, b: string) => number;
  /** The resolver for a channel (stable when undefined). */
  resolverFor?: (channel: Channel | undefined) => Resolver;
  /** Overrides each entry's own channel, as `--channel` does. */
  channel?: Channel | 'stable' | undefined;
  linkMode?: LinkMode;
  force?: boolean;
}

export interface UpdateReport {
  extensions: UpdateStatus[];
  summary: { total: number; upToDate: number; updated: number; failed: number };
  /** What each update pulled (the extension and any new dependency). */
  pulled: PullResult[];
}

/** What `update` would do; changes nothing. */
export async function checkUpdates(opts: UpdateOptions): Promise<UpdateStatus[]> {
  await recoverIfNeeded(opts.repo);
  const { entries } = await readLockfile(opts.repo.lockfilePath);
  for (const name of opts.names) {
    if (!entries[name]) {
      throw new WorktreeError('E_NOT_INSTALLED', `Extension ${name} is not installed.`, `Use 'swamp-store extension pull ${name}' to install it.`);
    }
  }
  const targets = opts.names.length > 0 ? [...new Set(opts.names)] : Object.keys(entries);
  const statuses: UpdateStatus[] = [];
  // One after another, as Swamp does: a registry rate limit hits one request at a time.
  for (const name of targets) {
    const entry = entries[name];
    if (!entry) continue;
    const channel = channelOf(opts.channel, entry.channel);
    const base = { name, installedVersion: entry.version, ...(channel ? { channel } : {}) };
    const info = await opts.latest(name, channel).catch(() => null);
    if (!info) {
      statuses.push({ ...base, status: 'not_found', error: `Failed to fetch registry info for ${name}.` });
      continue;
    }
    if (info.latestVersion === null) {
      statuses.push({ ...base, status: 'not_found', error: `Extension ${name} not found in the registry.` });
      continue;
    }
    // The version comparison comes first, so an update is never hidden behind a deprecation.
    if (opts.compare(entry.version, info.latestVersion) < 0) {
      statuses.push({ ...base, status: 'update_available', latestVersion: info.latestVersion });
    } else if (info.deprecatedAt) {
      statuses.push({ ...base, status: 'deprecated', deprecationReason: info.deprecationReason ?? null, supersededBy: info.supersededBy ?? null });
    } else {
      statuses.push({ ...base, status: 'up_to_date', latestVersion: info.latestVersion });
    }
  }
  return statuses;
}

/** Pulls every available update, each through the ordinary pull (so linked worktrees are only ever renamed into, never written through). */
export async function updateExtensions(opts: UpdateOptions): Promise<UpdateReport> {
  const checked = await checkUpdates(opts);
  const final: UpdateStatus[] = [];
  const pulled: PullResult[] = [];
  for (const s of checked) {
    if (s.status !== 'update_available' || !s.latestVersion) {
      final.push(s);
      continue;
    }
    if (!opts.resolverFor) throw new Error('updateExtensions needs resolverFor');
    try {
      const results = await pullExtensions({
        repo: opts.repo,
        store: opts.store,
        refs: [`${s.name}@${s.latestVersion}`],
        resolve: opts.resolverFor(s.channel),
        linkMode: opts.linkMode ?? 'auto',
        force: Boolean(opts.force),
      });
      pulled.push(...results);
      final.push({ status: 'updated', name: s.name, installedVersion: s.installedVersion, previousVersion: s.installedVersion, newVersion: s.latestVersion, ...(s.channel ? { channel: s.channel } : {}) });
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const message = err instanceof Error ? err.message : String(err);
      final.push({ ...s, status: 'failed', error: `Update failed: ${message}${typeof code === 'string' ? ` (${code})` : ''}` });
    }
  }
  return { extensions: final, summary: summarize(final), pulled };
}

export function summarize(statuses: UpdateStatus[]): UpdateReport['summary'] {
  let upToDate = 0;
  let updated = 0;
  let failed = 0;
  for (const s of statuses) {
    if (s.status === 'up_to_date') upToDate++;
    else if (s.status === 'updated') updated++;
    else if (s.status === 'not_found' || s.status === 'failed') failed++;
  }
  return { total: statuses.length, upToDate, updated, failed };
}

function channelOf(flag: Channel | 'stable' | undefined, recorded: Channel | undefined): Channel | undefined {
  if (flag === 'stable') return undefined;
  return flag ?? recorded;
}
