import os from 'node:os';

/** True unless we can prove the process is gone: same host and kill(pid, 0) says ESRCH. */
export function isProcessAlive(pid: number, host: string): boolean {
  if (host !== os.hostname()) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
