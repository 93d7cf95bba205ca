// `swamp-store registry serve` as a child process, as a user would run it: the
// URL comes from its first stdout line, and its request log (--log, stderr)
// tells what it actually served.
import { spawn } from 'node:child_process';

const URL_LINE = /^Serving .* at (http:\/\/\S+)\s*$/m;

/** Starts the server on 127.0.0.1, a free port; resolves once it prints its URL. */
export function startRegistryChild({ bin, dir, env, startTimeoutMs = 20_000 }) {
  const child = spawn(process.execPath, [bin, 'registry', 'serve', '--dir', dir, '--port', '0', '--log'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let log = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (log += d));
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));

  const url = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The registry did not start within ${startTimeoutMs / 1000} s.`)), startTimeoutMs);
    const check = () => {
      const m = URL_LINE.exec(stdout);
      if (!m) return;
      clearTimeout(timer);
      child.stdout.off('data', check);
      resolve(m[1]);
    };
    child.stdout.on('data', check);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`The registry exited before serving (code ${code}, signal ${signal}): ${log.trim()}`));
    });
  });

  return {
    child,
    url,
    /**
     * Stops the server (SIGTERM: it closes its sockets and exits) and returns
     * its request counts. Counting after exit means every log line is in.
     */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
      const lines = log.split('\n').filter(Boolean);
      return {
        archiveDownloads: lines.filter((l) => /^GET \/files\/[0-9a-f]{64}\.tar\.gz 200 /.test(l)).length,
        apiRequests: lines.filter((l) => /^GET \/api\/v1\/\S* \d{3} /.test(l)).length,
      };
    },
  };
}
