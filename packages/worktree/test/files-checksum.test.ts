import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { filesChecksum, filesChecksumOfDir, filesChecksumOfTree, isChecksummedPath } from '../src/files-checksum.js';

const h = (c: string) => c.repeat(64);

// Computed in Python: lines sorted by UTF-16 code units (s.encode('utf-16-be')).
const MIXED = [
  { relPath: 'models/b.ts', sha256: h('a') },
  { relPath: 'manifest.yaml', sha256: h('b') },
  { relPath: 'models/B.ts', sha256: h('c') },
  { relPath: 'models/_lib/x.ts', sha256: h('d') },
  { relPath: 'files/\uff61', sha256: h('e') },
  { relPath: 'files/\u{1F600}', sha256: h('f') },
];
const MIXED_EXPECTED = '1a0e213289ee69f1f375d061c1215ffd965a1bb15b5fcc2e63323d60ce3c4913';

describe('filesChecksum', () => {
  it('matches an independent computation, including code-unit order for astral characters', () => {
    expect(filesChecksum(MIXED)).toBe(MIXED_EXPECTED);
  });

  it('does not depend on input order', () => {
    expect(filesChecksum([...MIXED].reverse())).toBe(MIXED_EXPECTED);
  });

  it('hashes the exact line format <relPath>\\0<sha>\\n', () => {
    const expected = createHash('sha256').update(`a\0${h('1')}\nb/c\0${h('2')}\n`).digest('hex');
    expect(filesChecksum([{ relPath: 'b/c', sha256: h('2') }, { relPath: 'a', sha256: h('1') }])).toBe(expected);
  });

  it('is the SHA-256 of nothing for no files', () => {
    expect(filesChecksum([])).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('skips AppleDouble names at any level, and only those', () => {
    expect(isChecksummedPath('models/._a.ts')).toBe(false);
    expect(isChecksummedPath('._dir/a.ts')).toBe(false);
    expect(isChecksummedPath('models/a._b.ts')).toBe(true);
    expect(isChecksummedPath('models/_a.ts')).toBe(true);
    const withForks = [...MIXED, { relPath: 'models/._b.ts', sha256: h('9') }, { relPath: '._x/y', sha256: h('8') }];
    expect(filesChecksum(withForks)).toBe(MIXED_EXPECTED);
  });

  it('leaves out the subtrees of nested extensions when asked', () => {
    const nested = [...MIXED, { relPath: 'ec2/manifest.yaml', sha256: h('7') }];
    expect(filesChecksum(nested)).not.toBe(MIXED_EXPECTED);
    expect(filesChecksum(nested, { excludeRelDirs: ['ec2'] })).toBe(MIXED_EXPECTED);
  });

  it('takes a tree’s ext/ files relative to the extension dir and ignores bundles and skills', () => {
    const tree = [
      ...MIXED.map((f) => ({ path: `ext/${f.relPath}`, sha256: f.sha256 })),
      { path: 'bundles/bundles/a.js', sha256: h('1') },
      { path: 'skills/s/SKILL.md', sha256: h('2') },
    ];
    expect(filesChecksumOfTree(tree)).toBe(MIXED_EXPECTED);
  });
});

describe('filesChecksumOfDir', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'fc-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function write(rel: string, content: string) {
    await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await fs.writeFile(path.join(dir, rel), content);
  }

  it('hashes regular files only, skipping ._ names and symlinks, with the value Python computes', async () => {
    await write('manifest.yaml', "# Read-only; regenerate via 'swamp extension pull'\nname: '@a/b'\n");
    await write('models/a.ts', 'export const a = 1;\n');
    await write('files/bin/tool', '#!/bin/sh\necho hi\n');
    await write('models/._a.ts', 'resource fork');
    await write('._meta/x', 'resource fork dir');
    await fs.mkdir(path.join(dir, 'workflows'));
    await fs.symlink('a.ts', path.join(dir, 'models/link.ts'));
    expect(await filesChecksumOfDir(dir)).toBe('ad605a1e5146fc17e99fefe03a373f27e18298fa9216c2bf57de0ea448da3e65');
  });

  it('changes when one byte of one file changes', async () => {
    await write('models/a.ts', 'export const a = 1;\n');
    const before = await filesChecksumOfDir(dir);
    await write('models/a.ts', 'export const a = 2;\n');
    expect(await filesChecksumOfDir(dir)).not.toBe(before);
  });

  it('agrees with the tree form for many files', async () => {
    const tree: { path: string; sha256: string }[] = [];
    for (let i = 0; i < 300; i++) {
      const rel = `models/m${i % 7}/f${i}.ts`;
      const content = `// ${i}\n`;
      await write(rel, content);
      tree.push({ path: `ext/${rel}`, sha256: createHash('sha256').update(content).digest('hex') });
    }
    expect(await filesChecksumOfDir(dir)).toBe(filesChecksumOfTree(tree));
  });

  it('is undefined for a missing directory', async () => {
    expect(await filesChecksumOfDir(path.join(dir, 'nope'))).toBeUndefined();
  });
});
