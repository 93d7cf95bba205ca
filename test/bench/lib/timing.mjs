// Wall-clock timing of one step, and GNU tar as the yardstick, run the same way
// every time so that ours and tar's numbers come from the same minute of the machine.
import { execFileSync, spawnSync } from 'node:child_process';

export async function timeIt(fn) {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

let tarChecked;

/** GNU tar's version line, or undefined when there is no GNU tar on PATH. */
export function gnuTarVersion() {
  if (tarChecked === undefined) {
    const r = spawnSync('tar', ['--version'], { encoding: 'utf8' });
    const first = (r.stdout ?? '').split('\n')[0] ?? '';
    tarChecked = r.status === 0 && first.includes('GNU tar') ? first : null;
  }
  return tarChecked ?? undefined;
}

/** `tar -xzf archive -C dir` (dir must exist and be empty), timed including its fork and exec. */
export function timeTarExtract(archive, dir) {
  const t0 = performance.now();
  execFileSync('tar', ['-xzf', archive, '-C', dir], { stdio: 'ignore' });
  return performance.now() - t0;
}

/** What starting any process costs here: `tar --version`, median of a few. */
export function processSpawnMs(samples = 5) {
  const times = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    spawnSync('tar', ['--version'], { stdio: 'ignore' });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
