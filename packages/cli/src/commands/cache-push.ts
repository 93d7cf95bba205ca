import { CliError } from '../errors.js';
import { settings } from '../settings.js';
import { openRemote, openStoreFromEnv } from '../context.js';
import type { CommandOptions } from '../command-options.js';
import type { Output } from '../output.js';

interface Selected {
  name: string;
  version: string;
  checksum: string;
}

/**
 * Seeds the remote from this store (an air-gapped mirror filled from one
 * machine): every archive the store knows by name@version, or those named.
 * Unlike a pull, where the remote is only a cache, here a failing remote is
 * the command failing.
 */
export async function cachePush(names: string[], opts: CommandOptions, out: Output): Promise<number> {
  if (!opts.all && names.length === 0) throw new CliError('E_USAGE', 'Name the extensions to push, or pass --all.', "Use 'swamp-store cache push @scope/name' or 'swamp-store cache push --all'.");
  if (opts.all && names.length > 0) throw new CliError('E_USAGE', 'Pass either names or --all, not both.');
  const { classifyRef } = await import('@swamp-store/registry');
  const wanted = names.map((n) => {
    let ref: ReturnType<typeof classifyRef> | undefined;
    try {
      ref = classifyRef(n);
    } catch {
      ref = undefined;
    }
    if (ref?.kind !== 'name') throw new CliError('E_USAGE', `'${n}' is not an extension name.`, "Names look like '@scope/name' or '@scope/name@2026.08.20.1'.");
    return { name: ref.name, version: ref.version };
  });
  if (!settings().remotePush) {
    throw new CliError('E_USAGE', 'SWAMP_STORE_REMOTE_PUSH=0 makes the remote read-only.', 'Unset it (or set it to 1) to push.');
  }
  const [store, storePkg] = await Promise.all([openStoreFromEnv(), import('@swamp-store/store')]);
  // Problems are errors here: the warning channel only collects them for the JSON.
  const remote = await openRemote({ ...opts, offline: false }, out);
  if (!remote) throw new CliError('E_USAGE', 'No remote to push to.', "Pass '--remote oci://HOST/REPO' or set SWAMP_STORE_REMOTE.");

  const listing = await storePkg.listStore(store);
  const known: Selected[] = listing.archives.flatMap((a) => (a.name && a.version ? [{ name: a.name, version: a.version, checksum: a.checksum }] : []));
  const selected = opts.all ? known : known.filter((a) => wanted.some((w) => w.name === a.name && (!w.version || w.version === a.version)));
  const missing = wanted.filter((w) => !known.some((a) => a.name === w.name && (!w.version || w.version === a.version))).map((w) => (w.version ? `${w.name}@${w.version}` : w.name));

  const results = await storePkg.mapPool(selected, 4, async (a) => {
    out.progress(`pushing ${a.name}@${a.version}`);
    return { ...a, pushed: await remote.upload(store, a.name, a.version, a.checksum) };
  });
  for (const r of results) out.line(`${r.pushed ? 'Pushed' : 'Already on the remote:'} ${r.name}@${r.version} (sha256:${r.checksum.slice(0, 12)})`);
  for (const m of missing) out.warn(`${m} is not in this store; pull it first.`);
  if (results.length === 0 && missing.length === 0) out.line('The store holds no archives to push.');
  out.result({ remote: remote.url, extensions: results, missing });
  return missing.length > 0 ? 1 : 0;
}
