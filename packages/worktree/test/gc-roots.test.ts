// What a worktree tells the store's gc: the digests it needs (lockfile and an
// interrupted transaction's journal), `gone` for a deleted folder, an error
// (never an empty set) for a lockfile it cannot read, and its materialised files.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOURNAL_FILE, liveDigestsOf, materializedFiles } from '../src/index.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const J = 'c'.repeat(64);
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'gc-roots-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function worktree(label: string, lockfile: unknown): Promise<{ repoDir: string; lockfilePath: string }> {
  const repoDir = path.join(dir, label);
  const lockfilePath = path.join(repoDir, 'extensions', 'models', 'upstream_extensions.json');
  await fs.mkdir(path.dirname(lockfilePath), { recursive: true });
  if (lockfile !== undefined) await fs.writeFile(lockfilePath, typeof lockfile === 'string' ? lockfile : JSON.stringify(lockfile, null, 2));
  return { repoDir, lockfilePath };
}

const entry = (name: string, checksum: string | undefined, files: string[]) => ({
  version: '2026.01.01.1',
  pulledAt: '2026-01-01T00:00:00.000Z',
  files,
  ...(checksum ? { checksum } : {}),
});

describe('liveDigestsOf', () => {
  it('names every lockfile checksum and those an interrupted journal will write', async () => {
    const root = await worktree('needs', {
      '@s/a': entry('@s/a', A, ['.swamp/pulled-extensions/@s/a/models/x.ts']),
      '@s/b': entry('@s/b', B.toUpperCase(), []),
      '@s/old': entry('@s/old', undefined, []),
    });
    const journal = path.join(root.repoDir, JOURNAL_FILE);
    await fs.mkdir(path.dirname(journal), { recursive: true });
    await fs.writeFile(journal, JSON.stringify({ version: 1, txid: 't', phase: 'commit', changes: [{ name: '@s/j', entry: entry('@s/j', J, []) }, { name: '@s/a', entry: null }] }));
    expect([...((await liveDigestsOf(root)) as Set<string>)].sort()).toEqual([A, B, J]);
  });

  it('is empty without a lockfile, and `gone` once the folder is deleted', async () => {
    const root = await worktree('empty', undefined);
    expect(await liveDigestsOf(root)).toEqual(new Set());
    await fs.rm(root.repoDir, { recursive: true });
    expect(await liveDigestsOf(root)).toBe('gone');
  });

  it('throws for a lockfile it cannot parse, so gc removes nothing rather than everything', async () => {
    const root = await worktree('corrupt', '{"@s/a": {"version": "1", ');
    await expect(liveDigestsOf(root)).rejects.toMatchObject({ code: 'E_LOCKFILE' });
  });
});

describe('materializedFiles', () => {
  it('lists the files the lockfile names, walking skill folders, never following symlinks', async () => {
    const root = await worktree('files', {
      '@s/a': entry('@s/a', A, ['.claude/skills/sk', '.swamp/pulled-extensions/@s/a/models/x.ts', '.swamp/pulled-extensions/@s/a/models/missing.ts']),
    });
    const abs = (rel: string) => path.join(root.repoDir, ...rel.split('/'));
    for (const f of ['.swamp/pulled-extensions/@s/a/models/x.ts', '.claude/skills/sk/SKILL.md', '.claude/skills/sk/ref/deep.md']) {
      await fs.mkdir(path.dirname(abs(f)), { recursive: true });
      await fs.writeFile(abs(f), 'x');
    }
    await fs.symlink(os.tmpdir(), abs('.claude/skills/sk/escape'));
    expect(await materializedFiles(root)).toEqual(
      ['.claude/skills/sk/SKILL.md', '.claude/skills/sk/ref/deep.md', '.swamp/pulled-extensions/@s/a/models/x.ts'].map(abs).sort(),
    );
  });
});
