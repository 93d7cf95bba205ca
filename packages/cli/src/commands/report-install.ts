import type { FallbackReason, PullResult, RepoContext } from '@swamp-store/worktree';
import type { Output } from '../output.js';
import { plural } from '../format.js';

const FALLBACK_TEXT: Record<FallbackReason, string> = {
  'cross-device': 'the store is on another filesystem than the repository, so files were copied instead of hardlinked',
  'link-limit': 'some store files reached the filesystem hardlink limit and were copied',
  permission: 'the filesystem refused some hardlinks, so those files were copied',
};

export function extensionJson(r: PullResult) {
  return {
    name: r.name,
    version: r.version,
    checksum: r.checksum,
    store: r.store,
    downloaded: r.downloaded,
    verified: r.verified,
    source: r.source,
    pushed: r.pushed,
    linked: r.linked,
    files: r.files,
    pruned: r.pruned,
    repaired: r.repaired,
    ...(r.dependencyOf ? { dependencyOf: r.dependencyOf } : {}),
    ...(r.kept?.length ? { kept: r.kept } : {}),
  };
}

function describeLinks(r: PullResult): string {
  const parts = [];
  if (r.linked.hardlink) parts.push(`${r.linked.hardlink} hardlinked`);
  if (r.linked.reflink) parts.push(`${r.linked.reflink} reflinked`);
  if (r.linked.copy) parts.push(`${r.linked.copy} copied`);
  return parts.join(', ');
}

/** The lines and warnings shared by `pull` and `install`; each warning is said once per command. */
export function reportInstalled(out: Output, repo: RepoContext, results: PullResult[], verb: string): void {
  const fallbacks = new Set(results.flatMap((r) => r.fallbacks));
  for (const f of fallbacks) out.notice(`Note: ${FALLBACK_TEXT[f]}.`);
  for (const r of results) {
    if (!r.verified) out.warn(`${r.name}@${r.version} is unverified: no published checksum was available to check its bytes against.`);
    if (r.kept?.length) {
      out.warn(`${r.name}@${r.version}: ${plural(r.kept.length, 'file')} differ from the published extension and were left as they are (not linked): ${r.kept.join(', ')}. Use 'swamp-store extension pull ${r.name}@${r.version} --force' to replace them.`);
    }
    if (r.repaired.length) out.warn(`the store copy of ${r.name}@${r.version} had been modified (${plural(r.repaired.length, 'file')}); it was re-extracted from its archive.`);
  }
  for (const r of results) {
    const dep = r.dependencyOf ? ` (dependency of ${r.dependencyOf})` : '';
    if (!r.changed) {
      out.line(`${r.name}@${r.version} is up to date${dep}.`);
      continue;
    }
    const links = describeLinks(r);
    const pruned = r.pruned.length ? `, ${plural(r.pruned.length, 'old file')} removed` : '';
    out.line(`${verb} ${r.name}@${r.version}${dep}: ${plural(r.files, 'file')}${links ? ` (${links})` : ''}${pruned}; store ${r.store}${fetched(r)}.`);
  }
  out.result({ repoDir: repo.repoDir, lockfile: repo.lockfilePath, extensions: results.map(extensionJson) });
}

/** How the bytes arrived, for the human line: the remote cache is worth naming (and a push to it). */
function fetched(r: PullResult): string {
  const how = !r.downloaded ? '' : r.source === 'remote' ? ', from the remote cache' : ', downloaded';
  return `${how}${r.pushed ? ', pushed to the remote cache' : ''}`;
}
