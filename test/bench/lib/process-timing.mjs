// Wall time of whole processes, as a user or an agent pays it: fork, exec, Node's
// start-up, module loading, the work and exit. Every CLI scenario measures
// through here, so that ours and the baseline are spawned the same way.
import { spawn, spawnSync } from 'node:child_process';
import { BIN } from '../../helpers/cli.mjs';

export { BIN };

/**
 * The environment every measured process gets: the caller's, minus anything
 * that would make a run do extra work (automatic gc, a repo override).
 * CI=1 keeps progress output off even if stderr happens to be a TTY.
 */
export function cliEnv(extra = {}) {
  const env = { ...process.env, CI: '1', ...extra };
  delete env.SWAMP_STORE_AUTO_GC;
  delete env.SWAMP_REPO_DIR;
  delete env.SWAMP_MODELS_DIR;
  delete env.NODE_OPTIONS;
  return env;
}

function ms(t0) {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function describe(file, args) {
  return [file, ...args].join(' ').slice(0, 300);
}

/**
 * Runs `file args` to completion and returns { ms, stdout }. Throws on a
 * non-zero exit: a benchmark that timed a failure would be worse than none.
 */
export function timeProcess(file, args, { cwd, env = cliEnv() } = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(file, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  const elapsed = ms(t0);
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`bench: '${describe(file, args)}' exited ${r.status ?? r.signal}: ${(r.stderr || r.stdout).trim().slice(0, 2000)}`);
  return { ms: elapsed, stdout: r.stdout };
}

/** `node BIN ...args`, timed; `json` is stdout parsed (every CLI run in the bench passes --json where it can). */
export function timeCli(args, opts = {}) {
  const r = timeProcess(process.execPath, [BIN, ...args], opts);
  let json;
  try {
    json = r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
  } catch {
    json = undefined;
  }
  return { ...r, json };
}

/** The baseline for CLI start-up: a Node process that does nothing. */
export function timeNodeNoop() {
  return timeProcess(process.execPath, ['-e', '0'], { env: cliEnv() }).ms;
}

/**
 * Starts every command at once and resolves when the last has exited, with the
 * wall time from the first spawn to the last exit. Rejects when any exits non-zero.
 * `commands`: [{ file, args, cwd, env }].
 */
export function timeConcurrent(commands) {
  const t0 = process.hrtime.bigint();
  const runs = commands.map(
    ({ file, args, cwd, env = cliEnv() }) =>
      new Promise((resolve, reject) => {
        const child = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('error', reject);
        child.on('close', (code, signal) => {
          if (code === 0) resolve({ ms: ms(t0), stdout });
          else reject(new Error(`bench: '${describe(file, args)}' exited ${code ?? signal}: ${stderr.trim().slice(0, 2000)}`));
        });
      }),
  );
  // allSettled, not all: a scenario removes the folders once this returns, so
  // every child must have exited first, even when one has already failed.
  return Promise.allSettled(runs).then((settled) => {
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    return { ms: ms(t0), results: settled.map((s) => s.value) };
  });
}
