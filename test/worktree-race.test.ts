// The seed race, as a regression test: several agents pulling into ONE
// worktree at once must never lose each other's files ("lockfile says present,
// disk says missing"), and each round of upgrades must leave no file of the
// previous versions behind. Every pull is a separate OS process.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRepo, runCli } from './helpers/cli.mjs';
import { useSandbox } from './helpers/sandbox.js';
import type { ExtensionSpec } from './helpers/archive-builder.mjs';
import { checkWorktree, cliEnv, expectedInstall, readLockfileJson, writeSpec } from './fixtures/worktree-support.js';

const ROUNDS = Number(process.env.RACE_ROUNDS ?? 20);
/** Generous: a loaded 2-core CI box runs 8 node processes at a time here. */
const LONG = 600_000;
/** Seven siblings and one extension nested inside the first one's folder. */
const NAMES = ['@race/e0', '@race/e1', '@race/e2', '@race/e3', '@race/e4', '@race/e5', '@race/e6', '@race/e0/sub'];

const box = useSandbox('wt-race-');
const specsBySum = new Map<string, ExtensionSpec>();

/** A cheap deterministic bit per (extension, round, slot). */
function bit(i: number, r: number, k: number): boolean {
  return ((i * 31 + r * 17 + k * 7 + ((i + 1) * (r + 3) * (k + 5))) % 5) < 3;
}

/**
 * Round `r` of extension `i`: a file set that differs from round r-1 (slots
 * come and go, one workflow is unique to the round, bundles and a skill appear
 * on some rounds only), and content that names the round so a stale file is
 * caught by its bytes too.
 */
function roundSpec(i: number, r: number): ExtensionSpec {
  const name = NAMES[i] as string;
  const files: Record<string, string> = {};
  for (let k = 0; k < 10; k++) if (bit(i, r, k)) files[`models/m${k}/model.ts`] = `// ${name} round ${r} slot ${k}\nexport const v = ${r * 100 + k};\n`;
  files[`workflows/round-${r}.yaml`] = `name: round-${r}\n`;
  files['models/always.ts'] = `// ${name} round ${r}\n`;
  if (r % 2 === 0) files[`bundles/b${i}.js`] = `/* bundle ${name} ${r} */\n`;
  if (r % 3 !== 1) files[`skills/race-${i}-s${r % 2}/SKILL.md`] = `# skill ${name} round ${r}\n`;
  return { name, version: `2026.01.01.${r + 1}`, files };
}

async function writeRound(r: number): Promise<string[]> {
  const files: string[] = [];
  for (let i = 0; i < NAMES.length; i++) {
    const spec = roundSpec(i, r);
    const { file, checksum } = await writeSpec(box.archives, spec);
    specsBySum.set(checksum, spec);
    files.push(file);
  }
  return files;
}

const pull = (repo: string, ref: string) => runCli(['extension', 'pull', ref, '--repo-dir', repo, '--json'], { env: cliEnv(box.store) });

describe('one worktree, many agents', () => {
  it(`8 processes pull 8 extensions at once for ${ROUNDS} rounds of new versions: nothing lost, nothing left over`, async () => {
    const repo = makeRepo(path.join(box.root, 'seed'));
    const walls: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const refs = await writeRound(r);
      const started = Date.now();
      const results = await Promise.all(refs.map((ref) => pull(repo, ref)));
      walls.push(Date.now() - started);
      results.forEach((res, i) => expect(res.code, `round ${r} ${NAMES[i]}: ${res.stderr}`).toBe(0));

      const lock = readLockfileJson(repo);
      expect(Object.keys(lock).sort(), `round ${r}`).toEqual([...NAMES].sort());
      for (let i = 0; i < NAMES.length; i++) expect(lock[NAMES[i] as string]?.version, `round ${r}`).toBe(`2026.01.01.${r + 1}`);
      // Files of the previous round that this round dropped must be gone (no orphans), and every file must be this round's.
      expect(checkWorktree(repo, specsBySum), `round ${r}`).toEqual([]);
      if (r > 0) {
        const prev = expectedInstall(roundSpec(0, r - 1));
        const cur = expectedInstall(roundSpec(0, r));
        const dropped = [...prev.files.keys()].filter((f) => !cur.files.has(f));
        expect(dropped.length, 'each round must drop some files, or orphans go untested').toBeGreaterThan(0);
        for (const f of dropped) expect(fs.existsSync(path.join(repo, f)), `round ${r}: ${f}`).toBe(false);
      }
      // The CLI's own view must agree.
      const v = await runCli(['extension', 'verify', '--repo-dir', repo, '--json'], { env: cliEnv(box.store) });
      expect(v.json, `round ${r}: ${v.stdout}`).toEqual({ ok: true, problems: [] });
      expect(v.code).toBe(0);
    }
    console.log(`[race] ${ROUNDS} rounds x ${NAMES.length} concurrent pulls; wall per round ms: ${walls.join(' ')}`);
  }, LONG);
});
