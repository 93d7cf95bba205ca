import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WorktreeError } from '../src/errors.js';
import {
  lockfilePathProblem,
  makeEntry,
  parseLockfile,
  readLockfile,
  serializeLockfile,
  sweepLockfileTemps,
  writeLockfileAtomic,
  type LockEntries,
  type LockEntry,
} from '../src/lockfile.js';

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);
// Namespaces of @a/b computed independently (Python FNV-1a over the path bytes).
const NS_AB_MODELS = '1f2bd2e1';
const NS_AB_REPORTS = '1b8d3532';

let tmp: string;
let file: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'lockfile-'));
  file = path.join(tmp, 'extensions', 'models', 'upstream_extensions.json');
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function put(text: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, text);
}

async function errorOf(p: Promise<unknown>): Promise<WorktreeError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(WorktreeError);
    return err as WorktreeError;
  }
  throw new Error('expected a WorktreeError');
}

/** Exactly what Swamp writes for two entries (key order, 2-space indent, final newline). */
const SWAMP_TEXT = `{
  "@swamp/git": {
    "version": "2026.08.20.1",
    "pulledAt": "2026-08-20T10:00:00.000Z",
    "files": [
      ".claude/skills/git-helper",
      ".swamp/bundles/2b63a75e/git.js",
      ".swamp/pulled-extensions/@swamp/git/manifest.yaml",
      ".swamp/pulled-extensions/@swamp/git/models/git.ts"
    ],
    "include": [
      ".swamp/pulled-extensions/@swamp/git/models/_lib"
    ],
    "checksum": "${SHA_A}",
    "filesChecksum": "${SHA_B}",
    "serverUrl": "https://swamp-club.com",
    "channel": "beta"
  },
  "@a/b": {
    "version": "2026.01.02.3",
    "pulledAt": "2026-01-02T00:00:00.000Z",
    "files": [
      ".swamp/pulled-extensions/@a/b/manifest.yaml"
    ],
    "checksum": "${SHA_B}",
    "filesChecksum": "${SHA_A}",
    "serverUrl": "http://127.0.0.1:4000",
    "futureField": {
      "kept": true
    }
  }
}
`;

describe('readLockfile', () => {
  it('treats a missing lockfile as empty', async () => {
    expect(await readLockfile(file)).toEqual({ entries: {}, raw: undefined });
  });

  it("reads Swamp's file and writes it back byte for byte, unknown fields included", async () => {
    await put(SWAMP_TEXT);
    const { entries, raw } = await readLockfile(file);
    expect(raw).toBe(SWAMP_TEXT);
    expect(Object.keys(entries)).toEqual(['@swamp/git', '@a/b']);
    expect(entries['@swamp/git']?.channel).toBe('beta');
    expect(entries['@a/b']?.files).toEqual(['.swamp/pulled-extensions/@a/b/manifest.yaml']);
    expect(serializeLockfile(entries)).toBe(SWAMP_TEXT);
  });

  it('accepts what older Swamp releases wrote (no files, checksum or serverUrl; non-CalVer version)', async () => {
    await put(JSON.stringify({ '@test/ext': { version: '1.0.0', pulledAt: '2026-01-01T00:00:00Z' } }));
    const { entries } = await readLockfile(file);
    expect(entries).toEqual({ '@test/ext': { version: '1.0.0', pulledAt: '2026-01-01T00:00:00Z', files: [] } });
  });

  it('tolerates a byte-order mark', async () => {
    await put('\ufeff{}');
    expect((await readLockfile(file)).entries).toEqual({});
  });

  it('drops an explicit stable channel and empty optional strings', async () => {
    await put(JSON.stringify({ '@a/b': { version: '1', pulledAt: 'x', files: [], checksum: '', serverUrl: '', channel: 'stable' } }));
    expect((await readLockfile(file)).entries['@a/b']).toEqual({ version: '1', pulledAt: 'x', files: [] });
  });

  async function expectUntouchedAfter(text: string, code: string): Promise<WorktreeError> {
    await put(text);
    const before = await fs.stat(file);
    const err = await errorOf(readLockfile(file));
    expect(err.code).toBe(code);
    expect(err.message).toContain(file);
    expect(err.remedy).toBeTruthy();
    expect(await fs.readFile(file, 'utf8')).toBe(text);
    expect((await fs.stat(file)).mtimeMs).toBe(before.mtimeMs);
    expect(await fs.readdir(path.dirname(file))).toEqual(['upstream_extensions.json']);
    return err;
  }

  it('refuses corrupt JSON with E_LOCKFILE and leaves the file untouched', async () => {
    for (const text of ['{"@a/b": {"version": "1"', '', '   \n', 'null', '[]', '"x"', '{} trailing']) {
      await expectUntouchedAfter(text, 'E_LOCKFILE');
    }
  });

  it('refuses entries of the wrong shape with E_LOCKFILE', async () => {
    const ok = { version: '2026.01.01.1', pulledAt: '2026-01-01T00:00:00Z', files: [] as unknown[] };
    const bad: unknown[] = [
      1,
      null,
      [],
      { ...ok, version: 3 },
      { ...ok, version: '../../x' },
      { ...ok, version: '' },
      { ...ok, pulledAt: 5 },
      { ...ok, files: '.swamp/pulled-extensions/@a/b/x' },
      { ...ok, files: [3] },
      { ...ok, include: 'x' },
      { ...ok, include: [1] },
      { ...ok, checksum: 'xyz' },
      { ...ok, checksum: 'a'.repeat(63) },
      { ...ok, filesChecksum: 12 },
      { ...ok, serverUrl: 'file:///etc/passwd' },
      { ...ok, serverUrl: 'not a url' },
      { ...ok, channel: 'nightly' },
    ];
    for (const entry of bad) await expectUntouchedAfter(JSON.stringify({ '@a/b': entry }), 'E_LOCKFILE');
  });

  it('refuses names that are not extension names with E_UNSAFE_LOCKFILE', async () => {
    for (const name of ['../x', '@a/../b', '@a', '__proto__', 'a/b', '@a/b/', '/etc']) {
      await expectUntouchedAfter(JSON.stringify({ [name]: { version: '1', pulledAt: 'x', files: [] } }), 'E_UNSAFE_LOCKFILE');
    }
  });

  it('refuses any file path that could lead a delete outside the extension, with E_UNSAFE_LOCKFILE', async () => {
    const unsafe = [
      '../../etc/passwd',
      '/abs',
      '/etc/passwd',
      '.swamp/pulled-extensions/@a/b/../../../x',
      '.swamp/pulled-extensions/@a/b/./x',
      '.swamp/pulled-extensions/@a/b//x',
      '.swamp/pulled-extensions/@a/b',
      '.swamp/pulled-extensions/@a/b/',
      '.swamp/pulled-extensions/@a/bc/manifest.yaml',
      '.swamp/pulled-extensions/@other/x/manifest.yaml',
      '.swamp/pulled-extensions',
      '.swamp/bundles/deadbeef/x.js',
      `.swamp/bundles/${NS_AB_MODELS}`,
      `.swamp/vault-bundles/${NS_AB_MODELS}/x.js`,
      '.swamp/bundles',
      '.swamp',
      '.claude/skills',
      '.claude/skills/../../x',
      '.claude/settings.json',
      'extensions/models/x.ts',
      '.git/config',
      'a\\..\\..\\x',
      'C:/Windows/x',
      'x\0y',
      '',
    ];
    for (const f of unsafe) {
      const err = await expectUntouchedAfter(JSON.stringify({ '@a/b': { version: '1', pulledAt: 'x', files: [f] } }), 'E_UNSAFE_LOCKFILE');
      expect(err.message).toContain('@a/b');
      expect(lockfilePathProblem('@a/b', f)).toBeTruthy();
    }
  });

  it('accepts every path Swamp itself records', async () => {
    const files = [
      '.swamp/pulled-extensions/@a/b/manifest.yaml',
      '.swamp/pulled-extensions/@a/b/models/deep/x.ts',
      '.swamp/pulled-extensions/@a/b/c/manifest.yaml',
      `.swamp/bundles/${NS_AB_MODELS}/x.js`,
      `.swamp/report-bundles/${NS_AB_REPORTS}/r/y.js`,
      '.claude/skills/s',
      '.cursor/skills/s',
      '.agents/skills/s',
      '.kiro/skills/s',
      '.swamp/pulled-extensions/skills/s',
    ];
    for (const f of files) expect(lockfilePathProblem('@a/b', f)).toBeUndefined();
    await put(JSON.stringify({ '@a/b': { version: '1', pulledAt: 'x', files } }));
    expect((await readLockfile(file)).entries['@a/b']?.files).toEqual(files);
  });
});

describe('serializeLockfile', () => {
  it("writes Swamp's key order whatever the object's order, include only when non-empty, no stable channel", () => {
    const jumbled = {
      channel: 'stable',
      serverUrl: 'https://swamp-club.com',
      filesChecksum: SHA_B,
      checksum: SHA_A,
      include: [],
      files: ['.swamp/pulled-extensions/@a/b/manifest.yaml'],
      pulledAt: '2026-08-20T10:00:00.000Z',
      version: '2026.08.20.1',
    } as unknown as LockEntry;
    expect(serializeLockfile({ '@a/b': jumbled })).toBe(
      '{\n' +
        '  "@a/b": {\n' +
        '    "version": "2026.08.20.1",\n' +
        '    "pulledAt": "2026-08-20T10:00:00.000Z",\n' +
        '    "files": [\n' +
        '      ".swamp/pulled-extensions/@a/b/manifest.yaml"\n' +
        '    ],\n' +
        `    "checksum": "${SHA_A}",\n` +
        `    "filesChecksum": "${SHA_B}",\n` +
        '    "serverUrl": "https://swamp-club.com"\n' +
        '  }\n' +
        '}\n',
    );
  });

  it('writes an empty lockfile as {} and a newline', () => {
    expect(serializeLockfile({})).toBe('{}\n');
  });

  it('refuses to write an invalid name', () => {
    expect(() => serializeLockfile({ '../x': { version: '1', pulledAt: 'x', files: [] } })).toThrow(WorktreeError);
  });
});

describe('makeEntry', () => {
  const base = {
    version: '2026.08.20.1',
    files: ['.swamp/pulled-extensions/@a/b/z', '.swamp/pulled-extensions/@a/b/a', '.swamp/pulled-extensions/@a/b/a'],
    checksum: SHA_A,
    filesChecksum: SHA_B,
    serverUrl: 'https://swamp-club.com',
    now: new Date('2026-08-21T00:00:00.000Z'),
  };

  it('builds the entry in key order, files sorted and deduplicated', () => {
    const e = makeEntry({ ...base, include: ['i'], channel: 'rc' });
    expect(Object.keys(e)).toEqual(['version', 'pulledAt', 'files', 'include', 'checksum', 'filesChecksum', 'serverUrl', 'channel']);
    expect(e.files).toEqual(['.swamp/pulled-extensions/@a/b/a', '.swamp/pulled-extensions/@a/b/z']);
    expect(e.pulledAt).toBe('2026-08-21T00:00:00.000Z');
  });

  it('leaves out an empty include and a stable channel', () => {
    const e = makeEntry({ ...base, include: [], channel: 'stable' });
    expect(Object.keys(e)).toEqual(['version', 'pulledAt', 'files', 'checksum', 'filesChecksum', 'serverUrl']);
  });

  it('keeps pulledAt when the same version is installed again, and only then', () => {
    const previous: LockEntry = { version: base.version, pulledAt: '2020-01-01T00:00:00.000Z', files: [] };
    expect(makeEntry(base, previous).pulledAt).toBe('2020-01-01T00:00:00.000Z');
    expect(makeEntry({ ...base, version: '2026.08.21.1' }, previous).pulledAt).toBe('2026-08-21T00:00:00.000Z');
  });

  it('refuses a checksum that is not a hex SHA-256', () => {
    expect(() => makeEntry({ ...base, checksum: 'nope' })).toThrow(WorktreeError);
  });
});

describe('writeLockfileAtomic', () => {
  const entries: LockEntries = {
    '@a/b': makeEntry({ version: '1', files: ['.swamp/pulled-extensions/@a/b/manifest.yaml'], checksum: SHA_A, filesChecksum: SHA_B, serverUrl: 'https://swamp-club.com' }),
  };

  it('creates the directory and writes exactly the serialized text, leaving no temp file', async () => {
    await writeLockfileAtomic(file, entries);
    expect(await fs.readFile(file, 'utf8')).toBe(serializeLockfile(entries));
    expect(await fs.readdir(path.dirname(file))).toEqual(['upstream_extensions.json']);
    expect((await readLockfile(file)).entries).toEqual(entries);
  });

  it("keeps the file's permissions", async () => {
    await put('{}\n');
    await fs.chmod(file, 0o640);
    await writeLockfileAtomic(file, entries);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o640);
  });

  it('replaces the file by rename (a new inode), never rewriting it in place', async () => {
    await put('{}\n');
    const before = (await fs.stat(file)).ino;
    await writeLockfileAtomic(file, entries);
    expect((await fs.stat(file)).ino).not.toBe(before);
  });

  it('sweeps only its own leftover temp files', async () => {
    const dir = path.dirname(file);
    await fs.mkdir(dir, { recursive: true });
    const ours = ['.upstream_extensions.json.123.abc12.tmp', '.upstream_extensions.json.9.z.tmp'];
    const others = ['upstream_extensions.json.lock', 'upstream_extensions.json', '.upstream_extensions.json.x.tmp', 'notes.tmp'];
    for (const n of [...ours, ...others]) await fs.writeFile(path.join(dir, n), 'x');
    const removed = await sweepLockfileTemps(file);
    expect(removed.map((p) => path.basename(p)).sort()).toEqual([...ours].sort());
    expect((await fs.readdir(dir)).sort()).toEqual([...others].sort());
  });

  it('never leaves a torn lockfile when the writer is SIGKILLed mid-write, and readers never see one', async () => {
    const many = (tag: string) =>
      Array.from({ length: 4000 }, (_, i) => `.swamp/pulled-extensions/@a/b/models/${tag}/file-${String(i).padStart(5, '0')}.ts`);
    const a: LockEntries = { '@a/b': makeEntry({ version: '1', files: many('a'), checksum: SHA_A, filesChecksum: SHA_B, serverUrl: 'https://x.test' }) };
    const b: LockEntries = { '@a/b': makeEntry({ version: '2', files: many('b'), checksum: SHA_B, filesChecksum: SHA_A, serverUrl: 'https://x.test' }) };
    const valid = new Set([serializeLockfile(a), serializeLockfile(b)]);
    const fixture = fileURLToPath(new URL('./fixtures/lockfile-writer.mjs', import.meta.url));
    const spec = path.join(tmp, 'spec.json');
    await fs.writeFile(spec, JSON.stringify({ a, b }));

    for (let round = 0; round < 6; round++) {
      const child = spawn(process.execPath, [fixture, file, spec], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
        child.on('exit', () => reject(new Error('writer exited before it was ready')));
      });
      // Readers racing the writer: every read is a complete version.
      const until = Date.now() + 30 + round * 20;
      let reads = 0;
      while (Date.now() < until) {
        expect(valid.has(await fs.readFile(file, 'utf8'))).toBe(true);
        reads++;
      }
      expect(reads).toBeGreaterThan(0);
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      const text = await fs.readFile(file, 'utf8');
      expect(valid.has(text)).toBe(true);
      await sweepLockfileTemps(file);
      expect(await fs.readdir(path.dirname(file))).toEqual(['upstream_extensions.json']);
      expect(parseLockfile(text, file)['@a/b']?.files).toHaveLength(4000);
    }
  });
});
