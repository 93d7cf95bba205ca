import type { GcOptions, GcReport } from '@swamp-store/store';
import { confirm } from '../confirm.js';
import { formatBytes, openStoreFromEnv } from '../context.js';
import { plural } from '../format.js';
import { CliError } from '../errors.js';
import type { CommandOptions } from '../command-options.js';
import type { Output } from '../output.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `0`, `90s`, `15m`, `1h`, `7d`, `2w` (a bare number is seconds) -> milliseconds. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/i.exec(text);
  const value = m ? Number(m[1]) : NaN;
  const unit = UNIT_MS[(m?.[2] ?? 's').toLowerCase()];
  if (!m || unit === undefined || !Number.isFinite(value)) {
    throw new CliError('E_USAGE', `Invalid duration ${JSON.stringify(text)}.`, "Use a number with a unit, e.g. '0', '30s', '15m', '1h' or '7d'.");
  }
  return Math.round(value * unit);
}

function summary(r: GcReport): string {
  const what = [plural(r.removed.trees.length, 'tree'), plural(r.removed.archives.length, 'archive'), plural(r.removed.roots.length, 'dead worktree root')];
  if (r.removed.leftovers) what.push(`${plural(r.removed.leftovers, 'staging leftover')} (${formatBytes(r.removed.leftoverBytes)})`);
  if (r.removed.tempRoots) what.push(plural(r.removed.tempRoots, 'temp root') + ' of dead commands');
  const verb = r.dryRun ? 'Would remove' : 'Removed';
  return `${verb} ${what.join(', ')} (${formatBytes(r.removed.bytes)}); kept ${plural(r.kept.trees, 'tree')}, ${plural(r.kept.archives, 'archive')}.`;
}

function report(out: Output, r: GcReport): void {
  for (const root of r.removed.roots) out.line(`${r.dryRun ? 'Would drop' : 'Dropped'} root ${root} (folder gone).`);
  for (const t of r.removed.trees) out.line(`${r.dryRun ? 'Would remove' : 'Removed'} tree ${t}`);
  for (const a of r.removed.archives) out.line(`${r.dryRun ? 'Would remove' : 'Removed'} archive ${a}`);
  out.line(summary(r));
  for (const u of r.unknown) out.warn(`${u.path}: ${u.reason}; no tree or archive was removed, so nothing it may need is lost. Fix it and run 'swamp-store cache gc' again.`);
  if (r.deferredArchives) {
    out.notice(`Note: ${plural(r.deferredArchives, 'unused archive')} kept because other swamp-store commands were running; a later gc removes them.`);
  }
}

/** True when `confirm` would really ask (a human at a TTY, no --yes, no --json). */
function willPrompt(out: Output, yes: boolean): boolean {
  return !yes && !out.json && Boolean(process.stdin.isTTY) && Boolean(process.stderr.isTTY);
}

export async function gc(_args: string[], opts: CommandOptions, out: Output): Promise<number> {
  const maxAgeMs = opts.maxAge === undefined ? undefined : parseDuration(String(opts.maxAge));
  const dryRun = Boolean(opts.dryRun);
  const yes = Boolean(opts.yes);
  const [store, storePkg, worktree] = await Promise.all([openStoreFromEnv(), import('@swamp-store/store'), import('@swamp-store/worktree')]);
  const gcOpts: GcOptions = {
    maxAgeMs,
    archiveMaxAgeMs: maxAgeMs,
    liveDigestsOf: worktree.liveDigestsOf,
    filesOf: worktree.materializedFiles,
    onProgress: (text: string) => out.progress(text),
  };
  if (!dryRun && willPrompt(out, yes)) {
    // As Swamp's `data gc`: show what would go, then ask.
    const preview = await storePkg.collectGarbage(store, { ...gcOpts, dryRun: true });
    const nothing = preview.removed.trees.length + preview.removed.archives.length + preview.removed.roots.length + preview.removed.leftovers + preview.removed.tempRoots === 0;
    if (nothing) {
      report(out, preview);
      return 0;
    }
    out.line(summary(preview));
    if (!(await confirm(out, 'Remove them?', yes))) {
      out.notice('Nothing removed.');
      return 1;
    }
  }
  const result = await storePkg.collectGarbage(store, { ...gcOpts, dryRun });
  report(out, result);
  out.result(result);
  return 0;
}
