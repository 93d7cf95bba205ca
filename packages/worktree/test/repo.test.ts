import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WorktreeError } from '../src/errors.js';
import { FALLBACK_SKILLS_DIR, resolveRepo, skillsDirsForTools } from '../src/repo.js';
import { parseSwampConfig } from '../src/swamp-config.js';

let tmp: string;
beforeEach(async () => {
  tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'repo-')));
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function mk(rel: string, content?: string): Promise<string> {
  const p = path.join(tmp, rel);
  if (content === undefined) {
    await fs.mkdir(p, { recursive: true });
  } else {
    await fs.mkdir(path.dirname(p), { recursive: true });
    await fs.writeFile(p, content);
  }
  return p;
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

const settings = {};

describe('finding the repository', () => {
  it('walks up to the nearest .swamp.yaml', async () => {
    await mk('r/.swamp.yaml', '');
    await mk('r/.git');
    const cwd = await mk('r/a/b/c');
    const ctx = await resolveRepo({ cwd, settings });
    expect(ctx.repoDir).toBe(path.join(tmp, 'r'));
    expect(ctx.configPath).toBe(path.join(tmp, 'r', '.swamp.yaml'));
  });

  it('prefers the innermost .swamp.yaml', async () => {
    await mk('outer/.swamp.yaml', '');
    await mk('outer/inner/.swamp.yaml', '');
    const cwd = await mk('outer/inner/x');
    expect((await resolveRepo({ cwd, settings })).repoDir).toBe(path.join(tmp, 'outer/inner'));
  });

  it('does not look above the git top level (a .git dir)', async () => {
    await mk('outer/.swamp.yaml', '');
    await mk('outer/checkout/.git');
    const cwd = await mk('outer/checkout/src');
    const err = await errorOf(resolveRepo({ cwd, settings }));
    expect(err.code).toBe('E_REPO');
    expect(err.message).toContain(cwd);
    expect(err.remedy).toContain("'swamp repo init'");
    expect(err.remedy).toContain('--repo-dir');
  });

  it('does not look above the git top level (a .git file, as in a linked worktree)', async () => {
    await mk('outer/.swamp.yaml', '');
    await mk('outer/wt/.git', 'gitdir: /somewhere/.git/worktrees/wt\n');
    const cwd = await mk('outer/wt/src');
    expect((await errorOf(resolveRepo({ cwd, settings }))).code).toBe('E_REPO');
  });

  it('finds .swamp.yaml at the git top level itself', async () => {
    await mk('wt/.git', 'gitdir: x\n');
    await mk('wt/.swamp.yaml', '');
    const cwd = await mk('wt/deep/er');
    expect((await resolveRepo({ cwd, settings })).repoDir).toBe(path.join(tmp, 'wt'));
  });

  it('ignores a .swamp.yaml that is a directory', async () => {
    await mk('r/.git');
    await mk('r/sub/.swamp.yaml');
    const cwd = await mk('r/sub/x');
    expect((await errorOf(resolveRepo({ cwd, settings }))).code).toBe('E_REPO');
  });

  it('resolves symlinks in the repository path', async () => {
    await mk('real/.swamp.yaml', '');
    await mk('real/src');
    await fs.symlink(path.join(tmp, 'real'), path.join(tmp, 'link'));
    const ctx = await resolveRepo({ cwd: path.join(tmp, 'link', 'src'), settings });
    expect(ctx.repoDir).toBe(path.join(tmp, 'real'));
  });

  it('--repo-dir beats SWAMP_REPO_DIR, which beats the walk; relative to cwd', async () => {
    await mk('a/.swamp.yaml', '');
    await mk('b/.swamp.yaml', '');
    const cwd = await mk('c/.swamp.yaml', '').then(() => path.join(tmp, 'c'));
    expect((await resolveRepo({ cwd, settings: {} })).repoDir).toBe(path.join(tmp, 'c'));
    expect((await resolveRepo({ cwd, settings: { repoDir: '../b' } })).repoDir).toBe(path.join(tmp, 'b'));
    expect((await resolveRepo({ repoDir: '../a', cwd, settings: { repoDir: '../b' } })).repoDir).toBe(path.join(tmp, 'a'));
  });

  it('accepts an explicit directory without .swamp.yaml and applies the defaults', async () => {
    const dir = await mk('plain');
    const ctx = await resolveRepo({ repoDir: dir, cwd: tmp, settings });
    expect(ctx).toEqual({
      repoDir: dir,
      modelsDir: 'extensions/models',
      lockfilePath: path.join(dir, 'extensions', 'models', 'upstream_extensions.json'),
      swampDir: path.join(dir, '.swamp'),
      pulledDir: path.join(dir, '.swamp', 'pulled-extensions'),
      skillsDirs: ['.claude/skills'],
      tools: ['claude'],
      configPath: undefined,
    });
  });

  it('refuses an explicit directory that does not exist or is a file', async () => {
    expect((await errorOf(resolveRepo({ repoDir: path.join(tmp, 'nope'), cwd: tmp, settings }))).code).toBe('E_REPO');
    const file = await mk('file', 'x');
    expect((await errorOf(resolveRepo({ repoDir: file, cwd: tmp, settings }))).code).toBe('E_REPO');
  });
});

describe('modelsDir and the lockfile path', () => {
  it('env SWAMP_MODELS_DIR > .swamp.yaml modelsDir > extensions/models', async () => {
    const dir = await mk('r');
    await mk('r/.swamp.yaml', 'modelsDir: custom/models\n');
    const fromYaml = await resolveRepo({ repoDir: dir, cwd: tmp, settings });
    expect(fromYaml.modelsDir).toBe('custom/models');
    expect(fromYaml.lockfilePath).toBe(path.join(dir, 'custom', 'models', 'upstream_extensions.json'));
    const fromEnv = await resolveRepo({ repoDir: dir, cwd: tmp, settings: { modelsDir: 'env/models' } });
    expect(fromEnv.modelsDir).toBe('env/models');
  });

  it('normalises harmless spellings', async () => {
    const dir = await mk('r');
    for (const [raw, want] of [['./a/b/', 'a/b'], ['a//b', 'a/b'], ['a/./b', 'a/b'], ['.', '.'], ['a/x/../b', 'a/b']] as const) {
      const ctx = await resolveRepo({ repoDir: dir, cwd: tmp, settings: { modelsDir: raw } });
      expect(ctx.modelsDir).toBe(want);
    }
    expect((await resolveRepo({ repoDir: dir, cwd: tmp, settings: { modelsDir: '.' } })).lockfilePath).toBe(path.join(dir, 'upstream_extensions.json'));
  });

  it('refuses a models dir that leaves the repository', async () => {
    const dir = await mk('r');
    for (const raw of ['../x', '/etc', 'a/../../b', '..', 'a\\..\\..\\b']) {
      const err = await errorOf(resolveRepo({ repoDir: dir, cwd: tmp, settings: { modelsDir: raw } }));
      expect(err.code).toBe('E_CONFIG');
      expect(err.message).toContain('SWAMP_MODELS_DIR');
    }
    await mk('r/.swamp.yaml', 'modelsDir: ../../outside\n');
    const err = await errorOf(resolveRepo({ repoDir: dir, cwd: tmp, settings }));
    expect(err.code).toBe('E_CONFIG');
    expect(err.message).toContain('.swamp.yaml');
  });
});

describe('tools and skills dirs', () => {
  it('maps each tool, deduplicated, in order', () => {
    expect(skillsDirsForTools(['cursor', 'claude', 'codex', 'opencode', 'copilot', 'kiro', 'claude'])).toEqual({
      tools: ['cursor', 'claude', 'codex', 'opencode', 'copilot', 'kiro'],
      skillsDirs: ['.cursor/skills', '.claude/skills', '.agents/skills', '.kiro/skills'],
    });
  });

  it('defaults to claude when tools is absent', () => {
    expect(skillsDirsForTools(undefined).skillsDirs).toEqual(['.claude/skills']);
  });

  it('uses the fallback dir for none, an empty list, null, or only unknown tools', () => {
    expect(FALLBACK_SKILLS_DIR).toBe('.swamp/pulled-extensions/skills');
    for (const t of [['none'], [], null, ['windsurf', 'emacs']]) {
      expect(skillsDirsForTools(t)).toEqual({ tools: [], skillsDirs: [FALLBACK_SKILLS_DIR] });
    }
  });

  it('ignores unknown tool names next to known ones', () => {
    expect(skillsDirsForTools(['windsurf', 'claude', '__proto__', 'constructor']).skillsDirs).toEqual(['.claude/skills']);
  });

  it('reads tools from .swamp.yaml in each accepted spelling', async () => {
    const dir = await mk('r');
    const cases: [string, string[]][] = [
      ['tools:\n  - cursor\n  - kiro\n', ['.cursor/skills', '.kiro/skills']],
      ['tools: [codex]\n', ['.agents/skills']],
      ['tools: claude\n', ['.claude/skills']],
      ['tools: none\n', [FALLBACK_SKILLS_DIR]],
      ['tools: []\n', [FALLBACK_SKILLS_DIR]],
      ['tools:\n', [FALLBACK_SKILLS_DIR]],
      ['modelsDir: m\n', ['.claude/skills']],
      ['', ['.claude/skills']],
      ['tools: [claude, 3, {x: 1}]\n', ['.claude/skills']],
    ];
    for (const [yaml, want] of cases) {
      await fs.writeFile(path.join(dir, '.swamp.yaml'), yaml);
      expect((await resolveRepo({ repoDir: dir, cwd: tmp, settings })).skillsDirs).toEqual(want);
    }
  });
});

describe('reading .swamp.yaml safely', () => {
  it('rejects invalid YAML, non-mappings, duplicate keys and bad types with E_CONFIG naming the file', () => {
    for (const text of ['a: [', '- a\n- b\n', 'just a string', 'modelsDir: a\nmodelsDir: b\n', 'modelsDir: 3\n', 'tools: {a: 1}\n']) {
      let err: unknown;
      try {
        parseSwampConfig(text, '/r/.swamp.yaml');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(WorktreeError);
      expect((err as WorktreeError).code).toBe('E_CONFIG');
      expect((err as WorktreeError).message).toContain('/r/.swamp.yaml');
    }
  });

  it('stops an alias bomb quickly instead of expanding it', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    lines.push('tools: *a11');
    const started = Date.now();
    expect(() => parseSwampConfig(lines.join('\n'), 'bomb.yaml')).toThrow(WorktreeError);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses an oversized .swamp.yaml', async () => {
    const dir = await mk('r');
    await fs.writeFile(path.join(dir, '.swamp.yaml'), `# ${'x'.repeat(2 * 1024 * 1024)}\n`);
    expect((await errorOf(resolveRepo({ repoDir: dir, cwd: tmp, settings }))).code).toBe('E_CONFIG');
  });
});
