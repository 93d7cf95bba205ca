import { describe, expect, it } from 'vitest';
import { isSafeRelativePath, parseDependency, parseManifest } from '../src/manifest.js';
import { StoreError } from '../src/errors.js';

const head = 'manifestVersion: 1\nname: "@acme/widgets"\nversion: "2026.08.20.1"\n';

function manifestError(text: string, opts?: { expectedName?: string }): StoreError {
  try {
    parseManifest(text, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('E_MANIFEST');
    return err as StoreError;
  }
  throw new Error('parseManifest accepted an invalid manifest');
}

describe('parseManifest: valid manifests', () => {
  it('reads a full manifest', () => {
    const m = parseManifest(
      head +
        [
          'description: |',
          '  # Widgets',
          '',
          '  Long **markdown** text.',
          'repository: https://github.com/acme/widgets',
          'labels: [aws, ec2]',
          'platforms: [linux-x86_64]',
          'releaseNotes: "fixes"',
          'models: [widget/model.ts]',
          'workflows: [deploy.yaml]',
          'include: [widget/_lib/helpers.ts]',
          'binaries: [bin/tool]',
          'additionalFiles: [docs/readme.md]',
          'dependencies:',
          '  - "@acme/base"',
          '  - "@acme/net@2026.01.01.1"',
          'unknownFutureField: { kept: true }',
        ].join('\n'),
      { expectedName: '@acme/widgets' },
    );
    expect(m.manifestVersion).toBe(1);
    expect(m.name).toBe('@acme/widgets');
    expect(m.version).toBe('2026.08.20.1');
    expect(m.description).toBe('# Widgets\n\nLong **markdown** text.\n');
    expect(m.binaries).toEqual(['bin/tool']);
    expect(m.include).toEqual(['widget/_lib/helpers.ts']);
    expect(m.dependencies).toEqual(['@acme/base', '@acme/net@2026.01.01.1']);
    expect(m.raw.unknownFutureField).toEqual({ kept: true });
  });

  it('accepts nested names and treats empty optional keys as absent', () => {
    const m = parseManifest('manifestVersion: 1\nname: "@swamp/aws/ec2"\nversion: "2026.01.02.10"\nmodels:\ndescription:\n');
    expect(m.name).toBe('@swamp/aws/ec2');
    expect(m.dependencies).toEqual([]);
    expect(m.binaries).toEqual([]);
    expect(m.description).toBeUndefined();
  });
});

describe('parseManifest: invalid manifests are E_MANIFEST', () => {
  const cases: Array<[string, string]> = [
    ['no manifestVersion', 'name: "@a/b"\nversion: "2026.01.01.1"\n'],
    ['manifestVersion 2', 'manifestVersion: 2\nname: "@a/b"\nversion: "2026.01.01.1"\n'],
    ['manifestVersion as a string', 'manifestVersion: "1"\nname: "@a/b"\nversion: "2026.01.01.1"\n'],
    ['unscoped name', 'manifestVersion: 1\nname: widgets\nversion: "2026.01.01.1"\n'],
    ['upper-case name', 'manifestVersion: 1\nname: "@Acme/widgets"\nversion: "2026.01.01.1"\n'],
    ['name with ..', 'manifestVersion: 1\nname: "@acme/../etc"\nversion: "2026.01.01.1"\n'],
    ['semver version', 'manifestVersion: 1\nname: "@a/b"\nversion: "1.2.3"\n'],
    ['numeric version', 'manifestVersion: 1\nname: "@a/b"\nversion: 2026.01\n'],
    ['not a mapping', '- just\n- a list\n'],
    ['empty document', ''],
    ['broken YAML', 'manifestVersion: 1\nname: [unclosed\n'],
    ['duplicate keys', `${head}name: "@acme/other"\n`],
    ['two documents', `${head}---\n${head}`],
    ['description not a string', `${head}description: [a, b]\n`],
    ['labels not strings', `${head}labels: [1, 2]\n`],
    ['21 labels', `${head}labels: [${Array.from({ length: 21 }, (_, i) => `l${i}`).join(', ')}]\n`],
    ['binaries with ..', `${head}binaries: ["../../bin/sh"]\n`],
    ['absolute include', `${head}include: ["/etc/passwd"]\n`],
    ['backslash in models', `${head}models: ["a\\\\..\\\\b.ts"]\n`],
    ['NUL in workflows', `${head}workflows: ["a\\u0000b"]\n`],
    ['drive letter in additionalFiles', `${head}additionalFiles: ["C:/x"]\n`],
    ['empty path in skills', `${head}skills: [""]\n`],
    ['models not a list', `${head}models: widget/model.ts\n`],
    ['dependency without scope', `${head}dependencies: ["widgets"]\n`],
    ['dependency not a string', `${head}dependencies: [{ name: "@a/b" }]\n`],
  ];
  for (const [what, text] of cases) {
    it(what, () => {
      manifestError(text);
    });
  }

  it('a name other than the expected one', () => {
    const err = manifestError(head, { expectedName: '@acme/gadgets' });
    expect(err.message).toContain('"@acme/widgets"');
    expect(err.message).toContain('"@acme/gadgets"');
  });

  it('a YAML alias bomb fails fast', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      lines.push(`${cur}: &${cur} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    const started = Date.now();
    const err = manifestError(`${head}${lines.join('\n')}\n`);
    expect(err.message).toMatch(/alias/i);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a document over 1 MiB is refused before parsing', () => {
    const err = manifestError(`${head}description: "${'x'.repeat(1024 * 1024)}"\n`);
    expect(err.message).toMatch(/larger than/);
  });

  it('hostile values are quoted in messages', () => {
    const err = manifestError('manifestVersion: 1\nname: "\\e[31mevil\\u007f"\nversion: "2026.01.01.1"\n');
    // eslint-disable-next-line no-control-regex -- looking for exactly these characters
    expect(err.message).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect(err.message).toContain('\\u001b');
  });
});

describe('parseDependency', () => {
  it.each([
    ['@acme/base', { name: '@acme/base' }],
    ['@swamp/aws/ec2', { name: '@swamp/aws/ec2' }],
    ['@acme/base@2026.01.01.1', { name: '@acme/base', version: '2026.01.01.1' }],
    ['@acme/base@^2026.01.01.1', { name: '@acme/base', constraint: '^', version: '2026.01.01.1' }],
    ['@acme/base@>=2026.01.01.1', { name: '@acme/base', constraint: '>=', version: '2026.01.01.1' }],
    ['>=@acme/base@2026.01.01.1', { name: '@acme/base', constraint: '>=', version: '2026.01.01.1' }],
    ['<@acme/base@2026.01.01.1', { name: '@acme/base', constraint: '<', version: '2026.01.01.1' }],
    ['~@acme/base@2026.01.01.1', { name: '@acme/base', constraint: '~', version: '2026.01.01.1' }],
    ['!@acme/base', { name: '@acme/base', constraint: '!' }],
    ['=@acme/base@2026.01.01.1', { name: '@acme/base', constraint: '=', version: '2026.01.01.1' }],
    ['<=@acme/base@2026.01.01.1', { name: '@acme/base', constraint: '<=', version: '2026.01.01.1' }],
    ['>@acme/base@2026.01.01.1', { name: '@acme/base', constraint: '>', version: '2026.01.01.1' }],
  ])('%s', (input, expected) => {
    expect(parseDependency(input)).toEqual(expected);
  });

  it.each([
    'acme/base',
    '@acme',
    '@acme/base@',
    '@acme/base@1@2',
    '>=@acme/base@^2026.01.01.1',
    '@ACME/base',
    '@acme/base@2026 01',
    '@acme/base@../../x',
    '',
  ])('refuses %j', (input) => {
    expect(() => parseDependency(input)).toThrow(StoreError);
  });
});

describe('isSafeRelativePath', () => {
  it.each(['a', 'a/b.ts', 'bin/tool', '.hidden', 'a..b/c', 'models/*.ts'])('accepts %j', (p) => {
    expect(isSafeRelativePath(p)).toBe(true);
  });
  it.each(['', '/a', '..', 'a/../b', 'a/..', 'a\\b', 'a\u0000b', 'a\nb', 'C:/x', 'c:x'])('refuses %j', (p) => {
    expect(isSafeRelativePath(p)).toBe(false);
  });
});
