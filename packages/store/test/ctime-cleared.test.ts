// ctimeCleared: link activity (the link count moved with the ctime) needs no
// re-hash; a write whose mtime was put back with the link count unchanged does.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctimeCleared, parseCtimeChecked, serializeCtimeChecked, type TreeFileRecord } from '../src/index.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctime-cleared-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function record(file: string): TreeFileRecord {
  const st = fs.statSync(file);
  return { path: 'ext/a.ts', size: st.size, mode: st.mode & 0o7777, sha256: 'x', ino: st.ino, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
}

const tick = () => spawnSync('sleep', ['0.02']);

describe('ctimeCleared', () => {
  it('says same, links, then hash for a write whose mtime was put back', () => {
    const file = path.join(dir, 'a.ts');
    fs.writeFileSync(file, 'export const a = 1;\n');
    const rec = record(file);
    expect(ctimeCleared(fs.statSync(file), rec, {})).toBe('same');

    tick();
    fs.linkSync(file, path.join(dir, 'worktree-link'));
    const linked = fs.statSync(file);
    expect(linked.ctimeMs).not.toBe(rec.ctimeMs);
    expect(ctimeCleared(linked, rec, {})).toBe('links');
    const checked = { 'ext/a.ts': { c: linked.ctimeMs, n: linked.nlink } };
    expect(ctimeCleared(linked, rec, checked)).toBe('same');

    tick();
    const ref = path.join(dir, 'ref');
    expect(spawnSync('cp', ['-p', file, ref]).status).toBe(0);
    fs.writeFileSync(file, 'export const a = 9;\n');
    expect(spawnSync('touch', ['-r', ref, file]).status).toBe(0);
    const written = fs.statSync(file);
    expect(written.mtimeMs).toBe(rec.mtimeMs);
    expect(ctimeCleared(written, rec, checked)).toBe('hash');
  });

  it('an older record (a bare ctime, link count unknown) re-hashes on any ctime change', () => {
    const file = path.join(dir, 'b.ts');
    fs.writeFileSync(file, 'b\n');
    const rec = record(file);
    tick();
    fs.linkSync(file, path.join(dir, 'b-link'));
    const st = fs.statSync(file);
    const older = (rec.ctimeMs ?? 0) - 1;
    const legacy = parseCtimeChecked(JSON.stringify({ 'ext/a.ts': older }));
    expect(legacy['ext/a.ts']).toEqual({ c: older });
    expect(ctimeCleared(st, rec, legacy)).toBe('hash');
    expect(parseCtimeChecked('not json')).toEqual({});
  });

  it('the record is written as arrays in the order of the tree files, and read back by path', () => {
    const files = [{ path: 'ext/a.ts' }, { path: 'ext/b.ts' }, { path: 'ext/c.ts' }];
    const text = serializeCtimeChecked(files, { 'ext/a.ts': { c: 10.5, n: 3 }, 'ext/c.ts': { c: 12 }, 'ext/gone.ts': { c: 1, n: 1 } });
    expect(JSON.parse(text)).toEqual({ v: 2, files: 3, c: [10.5, null, 12], n: [3, null, null] });
    expect(parseCtimeChecked(text, files)).toEqual({ 'ext/a.ts': { c: 10.5, n: 3 }, 'ext/c.ts': { c: 12, n: undefined } });
    // Written for another list of files (or read without one): nothing is known, everything re-hashes once.
    expect(parseCtimeChecked(text, files.slice(1))).toEqual({});
    expect(parseCtimeChecked(text)).toEqual({});
  });
});
