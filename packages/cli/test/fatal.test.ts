// The process-wide safety net, in real processes: an uncaught exception or an
// unhandled rejection anywhere is reported once as E_INTERNAL with a remedy
// (one JSON document with --json), a stack trace only with SWAMP_STORE_DEBUG=1;
// a closed stdout is not an error.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fatal = fileURLToPath(new URL('../dist/fatal.js', import.meta.url));

function run(body: string, json: boolean, env: Record<string, string> = {}) {
  const script = `import(${JSON.stringify(fatal)}).then((m) => { m.installFatalHandlers(${json}); ${body} });`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, SWAMP_STORE_DEBUG: '', ...env } });
}

describe('installFatalHandlers', () => {
  it('an unhandled rejection is one E_INTERNAL JSON document with a remedy, exit 1, no trace', () => {
    const r = run("Promise.reject(new Error('boom'));", true);
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    const doc = JSON.parse(lines[0]!) as { code: string; error: string; remedy: string };
    expect(doc).toMatchObject({ code: 'E_INTERNAL', error: 'boom' });
    expect(doc.remedy).toContain('SWAMP_STORE_DEBUG=1');
  });

  it('an uncaught exception (an error event nobody listened to) is one human line; the trace only with SWAMP_STORE_DEBUG=1', () => {
    const body = "setTimeout(() => { const e = new Error('ENOENT: no such file'); e.code = 'ENOENT'; throw e; }, 1);";
    const quiet = run(body, false);
    expect(quiet.status).toBe(1);
    expect(quiet.stderr).toMatch(/^Error: ENOENT: no such file \(ENOENT\) This is a bug in swamp-store/);
    expect(quiet.stderr).not.toMatch(/\n\s+at /);
    const debug = run(body, false, { SWAMP_STORE_DEBUG: '1' });
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it('a closed stdout drops output and lets the command finish with its own exit code', () => {
    const body = "process.stdout.destroy(); process.stdout.write('x\\n'); process.stdout.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })); setTimeout(() => process.exit(0), 20);";
    const r = run(body, false);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });
});
