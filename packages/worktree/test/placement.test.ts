import { describe, expect, it } from 'vitest';
import { WorktreeError } from '../src/errors.js';
import {
  EXTENSION_SUBDIRS,
  bundleDir,
  bundleNamespace,
  extensionDir,
  isBundleTarget,
  isSafeRelativePath,
  isValidExtensionName,
  placeTree,
} from '../src/placement.js';

// Namespaces computed independently (Python, FNV-1a over the ASCII bytes of the path).
const NS_GIT_MODELS = '2b63a75e'; // .swamp/pulled-extensions/@swamp/git/models
const NS_GIT_VAULTS = 'a457c7f1'; // .swamp/pulled-extensions/@swamp/git/vaults
const NS_GIT_DRIVERS = '30356753';
const NS_GIT_DATASTORES = 'cb8bbd82';
const NS_GIT_REPORTS = '96efc837';
const NS_EC2_MODELS = '1c0e63de'; // .swamp/pulled-extensions/@swamp/aws/ec2/models

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WorktreeError);
    return (err as WorktreeError).code;
  }
  return undefined;
}

describe('names', () => {
  it('accepts scoped and nested names', () => {
    for (const n of ['@swamp/git', '@swamp/aws/ec2', '@a_b/c-d', '@0/1/2/3']) expect(isValidExtensionName(n)).toBe(true);
  });

  it('rejects everything else, and never builds a path from it', () => {
    for (const n of ['swamp/git', '@swamp', '@Swamp/git', '@swamp/git/', '@swamp//git', '@swamp/../x', '@swamp/git/..', '@a/b c', '@a/b\\c', '', '@a/b\n']) {
      expect(isValidExtensionName(n)).toBe(false);
      expect(codeOf(() => extensionDir(n))).toBe('E_USAGE');
      expect(codeOf(() => placeTree({ name: n, treeFiles: [], treeDirs: [], skillsDirs: [] }))).toBe('E_USAGE');
    }
  });
});

describe('bundle namespaces', () => {
  it("hash the repo-relative path of the extension's matching dir", () => {
    expect(bundleNamespace('@swamp/git', 'bundles')).toBe(NS_GIT_MODELS);
    expect(bundleNamespace('@swamp/git', 'vault-bundles')).toBe(NS_GIT_VAULTS);
    expect(bundleNamespace('@swamp/git', 'driver-bundles')).toBe(NS_GIT_DRIVERS);
    expect(bundleNamespace('@swamp/git', 'datastore-bundles')).toBe(NS_GIT_DATASTORES);
    expect(bundleNamespace('@swamp/git', 'report-bundles')).toBe(NS_GIT_REPORTS);
    expect(bundleDir('@swamp/aws/ec2', 'bundles')).toBe(`.swamp/bundles/${NS_EC2_MODELS}`);
  });
});

describe('isBundleTarget', () => {
  it('is true under every .swamp/*bundles/ dir and nowhere else', () => {
    expect(isBundleTarget('.swamp/bundles/2b63a75e/a.js')).toBe(true);
    expect(isBundleTarget('.swamp/vault-bundles/x/a.js')).toBe(true);
    expect(isBundleTarget('.swamp/report-bundles/x/y/z.js')).toBe(true);
    expect(isBundleTarget('.swamp/pulled-extensions/@a/b/models/bundles/a.js')).toBe(false);
    expect(isBundleTarget('.swamp/bundles')).toBe(false);
    expect(isBundleTarget('bundles/a.js')).toBe(false);
    expect(isBundleTarget('.claude/skills/bundles/a')).toBe(false);
  });
});

describe('isSafeRelativePath', () => {
  it('rejects escapes, absolute and non-normalised paths', () => {
    for (const p of ['../x', 'a/../../x', '/abs', 'C:/x', 'a\\..\\x', 'a//b', './a', 'a/.', 'a/', '', 'a\0b']) expect(isSafeRelativePath(p)).toBe(false);
    for (const p of ['a', 'a/b.c', '.swamp/x', 'a/..b', 'a/b..']) expect(isSafeRelativePath(p)).toBe(true);
  });
});

describe('placeTree', () => {
  const name = '@swamp/git';
  const ext = '.swamp/pulled-extensions/@swamp/git';
  const tree = {
    name,
    treeFiles: [
      { path: 'ext/manifest.yaml' },
      { path: 'ext/models/git.ts' },
      { path: 'ext/models/_lib/util.ts' },
      { path: 'ext/files/bin/tool' },
      { path: 'bundles/bundles/git.js' },
      { path: 'bundles/vault-bundles/v/x.js' },
      { path: 'skills/git-helper/SKILL.md' },
      { path: 'skills/git-helper/scripts/run.sh' },
    ],
    treeDirs: ['ext', 'ext/models', 'ext/models/_lib', 'ext/workflows/empty', 'bundles', 'bundles/bundles', 'skills', 'skills/git-helper', 'skills/empty-skill'],
    skillsDirs: ['.claude/skills', '.agents/skills'],
  };

  it('maps every file to its installed path; skill files go to every skills dir', () => {
    const p = placeTree(tree);
    expect(p.entries).toEqual([
      { treePath: 'ext/manifest.yaml', target: `${ext}/manifest.yaml`, kind: 'ext' },
      { treePath: 'ext/models/git.ts', target: `${ext}/models/git.ts`, kind: 'ext' },
      { treePath: 'ext/models/_lib/util.ts', target: `${ext}/models/_lib/util.ts`, kind: 'ext' },
      { treePath: 'ext/files/bin/tool', target: `${ext}/files/bin/tool`, kind: 'ext' },
      { treePath: 'bundles/bundles/git.js', target: `.swamp/bundles/${NS_GIT_MODELS}/git.js`, kind: 'bundle' },
      { treePath: 'bundles/vault-bundles/v/x.js', target: `.swamp/vault-bundles/${NS_GIT_VAULTS}/v/x.js`, kind: 'bundle' },
      { treePath: 'skills/git-helper/SKILL.md', target: '.claude/skills/git-helper/SKILL.md', kind: 'skill' },
      { treePath: 'skills/git-helper/SKILL.md', target: '.agents/skills/git-helper/SKILL.md', kind: 'skill' },
      { treePath: 'skills/git-helper/scripts/run.sh', target: '.claude/skills/git-helper/scripts/run.sh', kind: 'skill' },
      { treePath: 'skills/git-helper/scripts/run.sh', target: '.agents/skills/git-helper/scripts/run.sh', kind: 'skill' },
    ]);
    expect(p.ignored).toEqual([]);
  });

  it('records in the lockfile what Swamp records: files, bundle files, one dir per skill per skills dir, sorted', () => {
    expect(placeTree(tree).lockfileFiles).toEqual([
      '.agents/skills/empty-skill',
      '.agents/skills/git-helper',
      '.claude/skills/empty-skill',
      '.claude/skills/git-helper',
      `.swamp/bundles/${NS_GIT_MODELS}/git.js`,
      `${ext}/files/bin/tool`,
      `${ext}/manifest.yaml`,
      `${ext}/models/_lib/util.ts`,
      `${ext}/models/git.ts`,
      `.swamp/vault-bundles/${NS_GIT_VAULTS}/v/x.js`,
    ]);
  });

  it('sorts like Swamp (code units: uppercase before "_" before lowercase), not by locale', () => {
    const p = placeTree({ name: '@a/b', treeFiles: [{ path: 'ext/models/b.ts' }, { path: 'ext/models/_x.ts' }, { path: 'ext/models/B.ts' }], treeDirs: [], skillsDirs: [] });
    expect(p.lockfileFiles).toEqual(['.swamp/pulled-extensions/@a/b/models/B.ts', '.swamp/pulled-extensions/@a/b/models/_x.ts', '.swamp/pulled-extensions/@a/b/models/b.ts']);
  });

  it('lists the dirs to create: the seven per-extension dirs, bundle namespaces, skills, empty tree dirs, parents first', () => {
    const p = placeTree(tree);
    for (const d of EXTENSION_SUBDIRS) expect(p.dirs).toContain(`${ext}/${d}`);
    expect(p.dirs).toEqual([
      '.agents/skills/empty-skill',
      '.agents/skills/git-helper',
      '.agents/skills/git-helper/scripts',
      '.claude/skills/empty-skill',
      '.claude/skills/git-helper',
      '.claude/skills/git-helper/scripts',
      `.swamp/bundles/${NS_GIT_MODELS}`,
      ext,
      `${ext}/datastores`,
      `${ext}/drivers`,
      `${ext}/files`,
      `${ext}/files/bin`,
      `${ext}/models`,
      `${ext}/models/_lib`,
      `${ext}/reports`,
      `${ext}/vaults`,
      `${ext}/workflows`,
      `${ext}/workflows/empty`,
      `.swamp/vault-bundles/${NS_GIT_VAULTS}`,
      `.swamp/vault-bundles/${NS_GIT_VAULTS}/v`,
    ]);
    // Shared parents are never claimed by one extension.
    for (const shared of ['.swamp', '.swamp/bundles', '.swamp/pulled-extensions', '.swamp/pulled-extensions/@swamp', '.claude/skills']) {
      expect(p.dirs).not.toContain(shared);
    }
  });

  it('creates the seven dirs even for a tree with only a manifest', () => {
    const p = placeTree({ name: '@a/b', treeFiles: [{ path: 'ext/manifest.yaml' }], treeDirs: [], skillsDirs: ['.claude/skills'] });
    expect(p.dirs).toEqual(['.swamp/pulled-extensions/@a/b', ...[...EXTENSION_SUBDIRS].sort().map((d) => `.swamp/pulled-extensions/@a/b/${d}`)]);
    expect(p.lockfileFiles).toEqual(['.swamp/pulled-extensions/@a/b/manifest.yaml']);
  });

  it('deduplicates skills dirs (opencode, codex and copilot share .agents/skills)', () => {
    const p = placeTree({ name, treeFiles: [{ path: 'skills/s/SKILL.md' }], treeDirs: [], skillsDirs: ['.agents/skills', '.agents/skills'] });
    expect(p.entries.map((e) => e.target)).toEqual(['.agents/skills/s/SKILL.md']);
    expect(p.lockfileFiles).toEqual(['.agents/skills/s']);
  });

  it('ignores a plain file directly under skills/, as Swamp does', () => {
    const p = placeTree({ name, treeFiles: [{ path: 'skills/README.md' }], treeDirs: [], skillsDirs: ['.claude/skills'] });
    expect(p.entries).toEqual([]);
    expect(p.ignored).toEqual(['skills/README.md']);
    expect(p.lockfileFiles).toEqual([]);
  });

  it('refuses tree paths outside the installed form', () => {
    for (const bad of ['other/x', 'bundles/unknown-bundles/x.js', 'ext', 'bundles/bundles', '../x', 'ext/../../x', 'ext//x']) {
      expect(codeOf(() => placeTree({ name, treeFiles: [{ path: bad }], treeDirs: [], skillsDirs: [] }))).toBe('E_TREE');
    }
  });

  it('handles nested names as nested directories', () => {
    const p = placeTree({ name: '@swamp/aws/ec2', treeFiles: [{ path: 'ext/manifest.yaml' }, { path: 'bundles/bundles/a.js' }], treeDirs: [], skillsDirs: [] });
    expect(p.lockfileFiles).toEqual([`.swamp/bundles/${NS_EC2_MODELS}/a.js`, '.swamp/pulled-extensions/@swamp/aws/ec2/manifest.yaml']);
  });
});
