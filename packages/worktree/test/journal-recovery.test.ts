// The worktree transaction core at package level: the journal's phases, recovery
// (roll back before `commit`, roll forward after it, idempotently), and how
// runTransaction hands a plan the lockfile read under the lock. The CLI-level
// proof with SIGKILLed processes is test/worktree-crash.test.ts.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '@swamp-store/store';
import { JOURNAL_FILE, STAGING_DIR, newJournal, readJournal, writeJournal, type Journal } from '../src/journal.js';
import { Linker } from '../src/link.js';
import { makeEntry, readLockfile, writeLockfileAtomic, type LockEntry } from '../src/lockfile.js';
import { MATERIALIZED_FILE, readMaterialized } from '../src/materialized.js';
import type { RepoContext } from '../src/repo.js';
import { defaultRepo } from './fixtures/repo-context.js';
import { recoverInterrupted, runTransaction } from '../src/transaction.js';

const SUM = 'c'.repeat(64);
const EXT = '.swamp/pulled-extensions/@a/b';
let tmp: string;
let repo: RepoContext;

beforeEach(async () => {
  tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'journal-')));
  const repoDir = path.join(tmp, 'repo');
  await fs.mkdir(repoDir);
  repo = defaultRepo(repoDir);
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const abs = (rel: string) => path.join(repo.repoDir, rel);
async function put(rel: string, text: string): Promise<void> {
  await fs.mkdir(path.dirname(abs(rel)), { recursive: true });
  await fs.writeFile(abs(rel), text);
}
const exists = (rel: string) => fs.stat(abs(rel)).then(() => true, () => false);

/** Every file under the repository with its content: what "nothing changed" is compared on. */
async function snapshot(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (rel: string): Promise<void> => {
    for (const d of await fs.readdir(abs(rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) await walk(r);
      else out[r] = await fs.readFile(abs(r), 'utf8');
    }
  };
  await walk('');
  return out;
}

function entry(files: string[]): LockEntry {
  return makeEntry({ version: '2026.01.01.2', files, checksum: SUM, filesChecksum: '', serverUrl: '' }, undefined);
}

/** A journal that installs @a/b v2: two staged files, one orphan of v1, one folder to create. */
async function stagedInstall(phase: Journal['phase']): Promise<Journal> {
  const journal = newJournal([
    { name: '@a/b', entry: entry([`${EXT}/manifest.yaml`, `${EXT}/models/new.ts`]), moves: [`${EXT}/manifest.yaml`, `${EXT}/models/new.ts`], orphans: [`${EXT}/models/old.ts`], dirs: [`${EXT}/files`], pruneFrom: [`${EXT}/models`] },
  ]);
  await writeLockfileAtomic(repo.lockfilePath, { '@a/b': { ...entry([`${EXT}/models/old.ts`]), version: '2026.01.01.1' } });
  await put(`${EXT}/models/old.ts`, 'v1\n');
  await put(`${EXT}/manifest.yaml`, 'name: v1\n');
  await put(`${journal.staging}/${EXT}/manifest.yaml`, 'name: v2\n');
  await put(`${journal.staging}/${EXT}/models/new.ts`, 'v2\n');
  journal.phase = phase;
  await writeJournal(repo.repoDir, journal);
  return journal;
}

async function expectRolledForward(): Promise<void> {
  expect(await fs.readFile(abs(`${EXT}/manifest.yaml`), 'utf8')).toBe('name: v2\n');
  expect(await fs.readFile(abs(`${EXT}/models/new.ts`), 'utf8')).toBe('v2\n');
  expect(await exists(`${EXT}/models/old.ts`)).toBe(false);
  expect(await exists(`${EXT}/files`)).toBe(true);
  const { entries } = await readLockfile(repo.lockfilePath);
  expect(entries['@a/b']?.version).toBe('2026.01.01.2');
  expect(await readMaterialized(repo.repoDir)).toEqual({ '@a/b': SUM });
  expect(await readJournal(repo.repoDir)).toBeUndefined();
  expect(await fs.readdir(abs(STAGING_DIR)).catch(() => [])).toEqual([]);
}

describe('journal', () => {
  it('starts in the staging phase with its own staging folder, and reads back what was written', async () => {
    const j = newJournal([]);
    expect(j.phase).toBe('staging');
    expect(j.staging).toBe(`${STAGING_DIR}/${j.txid}`);
    expect(newJournal([]).txid).not.toBe(j.txid);
    expect(await readJournal(repo.repoDir)).toBeUndefined();
    await writeJournal(repo.repoDir, j);
    expect(await readJournal(repo.repoDir)).toEqual(j);
    j.phase = 'commit';
    await writeJournal(repo.repoDir, j);
    expect((await readJournal(repo.repoDir))?.phase).toBe('commit');
  });

  it('rewrites a phase over a temp file a crash left for the same transaction', async () => {
    const j = newJournal([]);
    await put(`${JOURNAL_FILE}.${j.txid}.tmp`, '{"torn');
    await writeJournal(repo.repoDir, j);
    expect(await readJournal(repo.repoDir)).toEqual(j);
  });

  it('treats a journal that is not ours as absent', async () => {
    for (const text of ['not json', '{"version":2,"txid":"x","changes":[]}', '[]']) {
      await put(JOURNAL_FILE, text);
      expect(await readJournal(repo.repoDir)).toBeUndefined();
    }
  });
});

describe('recovery', () => {
  it('rolls back a transaction that died while staging: the worktree and lockfile are as before', async () => {
    const journal = await stagedInstall('staging');
    const lockBefore = await fs.readFile(repo.lockfilePath, 'utf8');
    const before = await snapshot();
    // What the dead transaction added (its journal and staged files) goes; everything else stays.
    for (const rel of Object.keys(before)) if (rel === JOURNAL_FILE || rel.startsWith(`${journal.staging}/`)) delete before[rel];
    expect((await recoverInterrupted(repo))?.txid).toBe(journal.txid);
    expect(await snapshot()).toEqual(before);
    expect(await fs.readFile(repo.lockfilePath, 'utf8')).toBe(lockBefore);
  });

  it('rolls forward a committed transaction: files moved, orphans gone, lockfile and materialized record written', async () => {
    await stagedInstall('commit');
    await recoverInterrupted(repo);
    await expectRolledForward();
  });

  it('finishes a roll-forward that itself died halfway, and a second recovery changes nothing', async () => {
    const journal = await stagedInstall('commit');
    // The first recovery got as far as one move and the orphan before it was killed.
    await fs.rename(abs(`${journal.staging}/${EXT}/models/new.ts`), abs(`${EXT}/models/new.ts`));
    await fs.rm(abs(`${EXT}/models/old.ts`));
    await recoverInterrupted(repo);
    await expectRolledForward();
    const after = await snapshot();
    expect(await recoverInterrupted(repo)).toBeUndefined();
    expect(await snapshot()).toEqual(after);
  });

  it('with no journal, sweeps what a dead transaction left: staged files and temp files', async () => {
    await writeLockfileAtomic(repo.lockfilePath, {});
    await put(`${STAGING_DIR}/dead-tx/${EXT}/models/x.ts`, 'x');
    await put(`${JOURNAL_FILE}.dead-tx.tmp`, '{');
    await put(`${MATERIALIZED_FILE}.123.tmp`, '{');
    await put('extensions/models/.upstream_extensions.json.123.abc.tmp', '{');
    expect(await recoverInterrupted(repo)).toBeUndefined();
    expect(Object.keys(await snapshot()).sort()).toEqual(['extensions/models/upstream_extensions.json']);
  });
});

describe('runTransaction', () => {
  it('plans against the lockfile read under the lock, and an empty plan writes nothing', async () => {
    const store = openStore({ root: path.join(tmp, 'store') });
    await writeLockfileAtomic(repo.lockfilePath, { '@a/b': entry([]) });
    const before = await snapshot();
    let seen: string[] = [];
    const planned = await runTransaction(repo, store, new Linker('copy'), async (ctx) => {
      seen = Object.keys(ctx.entries);
      return [];
    });
    expect(planned).toEqual([]);
    expect(seen).toEqual(['@a/b']);
    expect(await snapshot()).toEqual(before);
  });

  it('stages, commits and registers the worktree; a failure while staging rolls back with nothing changed', async () => {
    const store = openStore({ root: path.join(tmp, 'store') });
    const source = path.join(tmp, 'source.ts');
    await fs.writeFile(source, 'content\n');
    const change = { name: '@a/b', entry: entry([`${EXT}/models/a.ts`]), moves: [`${EXT}/models/a.ts`], orphans: [], dirs: [], pruneFrom: [] };
    const stage = (src: string) => [{ source: src, target: `${EXT}/models/a.ts`, privateCopy: false, copyMode: 0o644 }];

    await writeLockfileAtomic(repo.lockfilePath, {});
    const before = await snapshot();
    await expect(runTransaction(repo, store, new Linker('copy'), async () => [{ change, stage: stage(path.join(tmp, 'missing')) }])).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await snapshot()).toEqual(before);
    expect(await readJournal(repo.repoDir)).toBeUndefined();

    const [done] = await runTransaction(repo, store, new Linker('copy'), async () => [{ change, stage: stage(source) }]);
    expect(done?.linked).toEqual({ hardlink: 0, reflink: 0, copy: 1 });
    expect(await fs.readFile(abs(`${EXT}/models/a.ts`), 'utf8')).toBe('content\n');
    expect(Object.keys((await readLockfile(repo.lockfilePath)).entries)).toEqual(['@a/b']);
    expect(await readJournal(repo.repoDir)).toBeUndefined();
    expect((await fs.readdir(store.layout.roots)).length).toBe(1);
  });
});
