// The settings table is the one home of every environment variable; the
// README's "Environment" table must say the same, row for row.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SETTINGS, readSettings } from '@swamp-store/primitives';
import { ensureBuilt, runCli } from './helpers/cli.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Row {
  meaning: string;
  default: string;
}

/** name -> row of README's "## Environment" table; a row may name several variables. */
function readmeEnvironment(): Map<string, Row> {
  const text = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = text.split(/^## /m).find((s) => s.startsWith('Environment\n'));
  expect(section, 'README.md has a "## Environment" section').toBeDefined();
  const rows = new Map<string, Row>();
  for (const line of (section as string).split('\n')) {
    const cells = line.split(' | ');
    if (!line.startsWith('| `') || cells.length !== 3) continue;
    const [names, meaning, def] = [cells[0]!.slice(2), cells[1]!, cells[2]!.replace(/ \|$/, '')];
    for (const n of names.split(', ')) rows.set(n.replace(/^`|`$/g, ''), { meaning, default: def });
  }
  return rows;
}

describe('settings', () => {
  it("README's environment table lists exactly the settings table, with its meanings and defaults", () => {
    const readme = readmeEnvironment();
    const table = new Map(Object.values(SETTINGS).map((s) => [s.name, { meaning: s.meaning, default: s.defaultText }]));
    expect([...readme.keys()].sort()).toEqual([...table.keys()].sort());
    for (const [name, row] of table) expect(readme.get(name), name).toEqual(row);
  });

  it('reads each variable once into typed values, falling back to the default when unset, empty or unreadable', () => {
    const defaults = readSettings({});
    expect(defaults).toMatchObject({ registryUrl: 'https://swamp-club.com', lockTimeoutMs: 60_000, autoGc: false, remotePush: true, storeDir: undefined });
    const set = readSettings({
      SWAMP_STORE_DIR: '/s',
      SWAMP_STORE_LOCK_TIMEOUT_MS: '250',
      SWAMP_STORE_MAX_ARCHIVE_BYTES: '1024',
      SWAMP_STORE_AUTO_GC: 'yes',
      SWAMP_STORE_REMOTE_PUSH: '0',
      SWAMP_STORE_DEBUG: '1',
    });
    expect(set).toMatchObject({ storeDir: '/s', lockTimeoutMs: 250, maxArchiveBytes: 1024, autoGc: true, remotePush: false, debug: true });
    const unreadable = readSettings({ SWAMP_STORE_LOCK_TIMEOUT_MS: 'soon', SWAMP_STORE_MAX_ARCHIVE_BYTES: '-1', SWAMP_STORE_STALL_TIMEOUT_MS: '1.5', SWAMP_CLUB_URL: '' });
    expect(unreadable).toMatchObject({ lockTimeoutMs: 60_000, maxArchiveBytes: defaults.maxArchiveBytes, stallTimeoutMs: 30_000, registryUrl: 'https://swamp-club.com' });
  });

  it.runIf(process.platform === 'linux')('the CLI passes XDG_CACHE_HOME down from its settings: the per-user store is under it', async () => {
    ensureBuilt();
    const cache = path.join(ROOT, 'no-such-cache-home');
    const r = await runCli(['cache', 'path', '--json'], { env: { SWAMP_STORE_DIR: undefined, XDG_CACHE_HOME: cache } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toEqual({ dir: path.join(cache, 'swamp-store') });
  });
});
