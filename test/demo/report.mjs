// The demo's figures as a short text report for humans.

export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** The lines of the report; `r` is the JSON report built by main.mjs. */
export function formatReport(r) {
  const n = r.extensions.length;
  const others = r.pulls - r.extractions;
  const lines = [
    `swamp-store demo: ${r.worktrees} git worktree${r.worktrees === 1 ? '' : 's'} each pulled ${r.refs.join(' ')} at the same time`,
    `(${n} extensions with the dependency), into a fresh store, from a local registry.`,
    '',
    `  pulls        ${pad(r.pulls)}  ${r.processes} concurrent processes x ${n} extensions`,
    `  downloads    ${pad(r.downloads)}  archives fetched (the registry served ${r.serverDownloads}); everything else came from the store`,
    `  extractions  ${pad(r.extractions)}  one per archive digest; the other ${others} pulls waited for one (${r.waited}) or found it done (${r.hits})`,
    `  files        ${pad(r.files.placed)}  ${r.files.hardlinked} hardlinked to the store, ${r.files.copied} copied (${r.files.bundleCopied} of them bundle files, which Swamp rewrites in place)`,
    `  bytes        logical ${formatBytes(r.bytes.logical)}, physical ${formatBytes(r.bytes.physical)} (store + worktrees, each inode once; ${r.bytes.source})`,
    `               ${r.worktrees} plain installs would take ${formatBytes(r.bytes.worktreesLogical)} in the worktrees alone`,
    `  verify       ${r.verify.ok}/${r.verify.of} worktrees pass 'swamp-store extension verify'`,
    `  time         ${seconds(r.timings.totalMs)} wall, of which the concurrent pulls ${seconds(r.timings.pullMs)}`,
  ];
  const failed = r.checks.filter((c) => !c.ok);
  lines.push('');
  if (failed.length === 0) lines.push(`All ${r.checks.length} checks passed.`);
  for (const c of failed) lines.push(`FAILED: ${c.name}: ${c.detail}`);
  for (const e of r.errors) lines.push(`ERROR: ${e}`);
  if (r.dir) lines.push(`Kept ${r.dir} (store in store/, worktrees in worktrees/, registry folder in registry/).`);
  return lines.join('\n');
}

function pad(v) {
  return String(v).padStart(5);
}
