import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { extractArchive } from '../src/extract/index.js';
import {
  buildExtensionArchive,
  extensionEntries,
  gzipTar,
  manifestYaml,
  writeArchive,
  type ExtensionSpec,
} from '../../../test/helpers/archive-builder.mjs';
import { generateExtension } from '../../../test/helpers/sample-corpus.mjs';

const HEADER = "# Read-only; regenerate via 'swamp extension pull'\n";
const SEVEN = ['models', 'workflows', 'vaults', 'drivers', 'datastores', 'reports', 'files'];
const BUNDLES = ['bundles', 'vault-bundles', 'driver-bundles', 'datastore-bundles', 'report-bundles'];

let root: string;
let dest: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'extract-valid-'));
  dest = path.join(root, 'dest');
  fs.mkdirSync(dest);
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** Everything under dir, as relative paths: files and directories separately. */
function walk(dir: string): { files: string[]; dirs: string[] } {
  const files: string[] = [];
  const dirs: string[] = [];
  const visit = (rel: string) => {
    for (const ent of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${ent.name}` : ent.name;
      if (ent.isDirectory()) {
        dirs.push(r);
        visit(r);
      } else {
        files.push(r);
      }
    }
  };
  visit('');
  return { files: files.sort(), dirs: dirs.sort() };
}

const spec: ExtensionSpec = {
  name: '@acme/widgets',
  version: '2026.08.20.1',
  manifestExtra: { description: '# Widgets\n\nMakes widgets.\n', binaries: ['bin/tool'], dependencies: ['@acme/base@2026.01.01.1'] },
  files: {
    'models/widget/model.ts': 'export const model = 1;\n',
    'models/widget/_lib/util.ts': 'export const util = 2;\n',
    'workflows/deploy.yaml': 'name: deploy\n',
    'vaults/v.ts': 'export {}\n',
    'files/bin/tool': '#!/bin/sh\necho tool\n',
    'bundles/widget.js': 'console.log("bundle")\n',
    'vault-bundles/v.js': '// vault bundle\n',
    'report-bundles/r.js': '// report bundle\n',
    'skills/widget-skill/SKILL.md': '# Skill\n',
    'skills/widget-skill/scripts/run.sh': 'echo run\n',
    // Not part of what Swamp installs: dropped, like Swamp's own installer does.
    'README.md': '# readme\n',
    'src/extra.ts': 'export {}\n',
    'models/widget/._model.ts': 'AppleDouble junk',
    'skills/loose.md': 'a file directly under skills/',
  },
  modes: { 'files/bin/tool': 0o4755 },
};

describe('extractArchive on a valid archive', () => {
  it('writes the installed form: manifest header, ext/, bundles/, skills/, always-created dirs', async () => {
    const archive = await writeArchive(root, 'ext.tar.gz', buildExtensionArchive(spec));
    const result = await extractArchive({ source: archive, dest, expectedName: '@acme/widgets' });

    expect(result.manifest.name).toBe('@acme/widgets');
    expect(result.manifest.version).toBe('2026.08.20.1');
    expect(result.manifest.binaries).toEqual(['bin/tool']);
    expect(result.manifest.dependencies).toEqual(['@acme/base@2026.01.01.1']);

    const expectedFiles = [
      'bundles/bundles/widget.js',
      'bundles/report-bundles/r.js',
      'bundles/vault-bundles/v.js',
      'ext/files/bin/tool',
      'ext/manifest.yaml',
      'ext/models/widget/_lib/util.ts',
      'ext/models/widget/model.ts',
      'ext/vaults/v.ts',
      'ext/workflows/deploy.yaml',
      'skills/widget-skill/SKILL.md',
      'skills/widget-skill/scripts/run.sh',
    ];
    expect(result.files.map((f) => f.path)).toEqual(expectedFiles);

    const onDisk = walk(dest);
    expect(onDisk.files).toEqual(expectedFiles);
    expect(onDisk.dirs).toEqual(result.dirs);
    for (const d of SEVEN) expect(result.dirs).toContain(`ext/${d}`);
    for (const d of BUNDLES) expect(result.dirs).toContain(`bundles/${d}`);
    expect(result.dirs).toContain('skills/widget-skill/scripts');

    const manifest = fs.readFileSync(path.join(dest, 'ext/manifest.yaml'), 'utf8');
    expect(manifest).toBe(HEADER + manifestYaml(spec));

    for (const f of result.files) {
      const bytes = fs.readFileSync(path.join(dest, f.path));
      expect(f.size).toBe(bytes.length);
      expect(f.sha256).toBe(sha256(bytes));
      const st = fs.statSync(path.join(dest, f.path));
      expect(st.mode & 0o7000).toBe(0); // setuid in the archive is stripped
      expect(st.mode & 0o111).toBe(0); // binaries get 0755 later, at publish
    }
    const files = spec.files as Record<string, string>;
    expect(result.files.find((f) => f.path === 'ext/models/widget/model.ts')?.sha256).toBe(
      sha256(files['models/widget/model.ts'] as string),
    );
  });

  it('creates the always-present directories for an archive with only a manifest', async () => {
    const result = await extractArchive({
      source: Readable.from([buildExtensionArchive({ name: '@a/b', version: '2026.01.02.3' })]),
      dest,
    });
    expect(result.files.map((f) => f.path)).toEqual(['ext/manifest.yaml']);
    expect(result.dirs).toEqual(
      ['bundles', 'ext', ...BUNDLES.map((d) => `bundles/${d}`), ...SEVEN.map((d) => `ext/${d}`)].sort(),
    );
    expect(walk(dest).dirs).toEqual(result.dirs);
  });

  it('keeps explicit empty directories and accepts a leading ./ and long pax names', async () => {
    const long = `models/${'deep/'.repeat(30)}file.ts`;
    const entries = [
      { path: './', type: 'dir' as const },
      ...extensionEntries({ name: '@a/b', version: '2026.01.02.3', files: { [long]: 'x' } }).map((e) => ({
        ...e,
        path: `./${String(e.path)}`,
      })),
      { path: './extension/models/empty/', type: 'dir' as const },
      { path: './extension/skills/empty-skill/', type: 'dir' as const },
    ];
    const result = await extractArchive({ source: Readable.from([gzipTar(entries)]), dest });
    expect(result.files.map((f) => f.path)).toContain(`ext/${long}`);
    expect(result.dirs).toContain('ext/models/empty');
    expect(result.dirs).toContain('skills/empty-skill');
    expect(fs.statSync(path.join(dest, 'ext/models/empty')).isDirectory()).toBe(true);
  });

  it('accepts the pax records real packers write (binary xattr values, fractional mtime, GNU long names)', async () => {
    const entries = [
      ...extensionEntries({ name: '@a/b', version: '2026.01.02.3' }),
      {
        path: 'extension/models/labelled.ts',
        content: 'x',
        pax: { 'SCHILY.xattr.security.selinux': Buffer.from('system_u:object_r:user_home_t:s0\0'), mtime: '1786000000.123456789' },
      },
      { path: `extension/models/${'g'.repeat(150)}.ts`, content: 'gnu', longName: 'gnu' as const },
    ];
    const result = await extractArchive({ source: Readable.from([gzipTar(entries)]), dest });
    expect(result.files.map((f) => f.path)).toEqual(['ext/manifest.yaml', `ext/models/${'g'.repeat(150)}.ts`, 'ext/models/labelled.ts']);
  });

  it('installs the manifest as Swamp does: BOM dropped, header prepended, hashes of written bytes', async () => {
    const text = manifestYaml({ name: '@a/b', version: '2026.01.02.3' });
    const entries = [
      { path: 'extension/', type: 'dir' as const },
      { path: 'extension/manifest.yaml', content: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]) },
    ];
    const result = await extractArchive({ source: Readable.from([gzipTar(entries)]), dest });
    const written = fs.readFileSync(path.join(dest, 'ext/manifest.yaml'));
    expect(written.toString('utf8')).toBe(HEADER + text);
    const f = result.files[0];
    const st = fs.statSync(path.join(dest, 'ext/manifest.yaml'));
    // The stat signature is the file's own, taken after its last write.
    expect(f).toEqual({ path: 'ext/manifest.yaml', size: written.length, sha256: sha256(written), ino: st.ino, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs });
  });

  it('streams multi-MiB files and many files with correct hashes', async () => {
    // 5 MiB that compresses well (a repeated random unit) keeps building the archive cheap.
    const unit = randomBytes(4099);
    const big = Buffer.alloc(5 * 1024 * 1024);
    for (let off = 0; off < big.length; off += unit.length) unit.copy(big, off);
    const files: Record<string, string | Buffer> = { 'files/big.bin': big };
    for (let i = 0; i < 1000; i++) files[`models/m${i % 20}/f${i}.ts`] = `export const v${i} = ${i};\n`;
    const archive = await writeArchive(root, 'big.tar.gz', buildExtensionArchive({ name: '@a/b', version: '2026.01.02.3', files }));
    const result = await extractArchive({ source: archive, dest });
    expect(result.files).toHaveLength(1002);
    const bigStat = fs.statSync(path.join(dest, 'ext/files/big.bin'));
    expect(result.files.find((f) => f.path === 'ext/files/big.bin')).toEqual({
      path: 'ext/files/big.bin',
      size: big.length,
      sha256: sha256(big),
      ino: bigStat.ino,
      mtimeMs: bigStat.mtimeMs,
      ctimeMs: bigStat.ctimeMs,
    });
    expect(bigStat.mode & 0o777).toBe(0o444);
    expect(fs.readFileSync(path.join(dest, 'ext/models/m7/f507.ts'), 'utf8')).toBe('export const v507 = 507;\n');
  });

  it('extracts a generated corpus-shaped extension with bundles and skills', async () => {
    const gen = generateExtension({ name: '@corpus/sample', version: '2026.08.01.1', files: 20, bytes: 300_000, seed: 7, withBundles: true, withSkills: true });
    const result = await extractArchive({ source: Readable.from([buildExtensionArchive(gen)]), dest, expectedName: '@corpus/sample' });
    const onDisk = walk(dest);
    expect(result.files.map((f) => f.path)).toEqual(onDisk.files);
    expect(result.files.length).toBe(20);
    expect(onDisk.files.some((f) => f.startsWith('bundles/bundles/'))).toBe(true);
    expect(onDisk.files.some((f) => f.startsWith('skills/'))).toBe(true);
    for (const f of result.files) expect(f.sha256).toBe(sha256(fs.readFileSync(path.join(dest, f.path))));
  });
});
