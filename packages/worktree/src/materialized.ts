import fs from 'node:fs/promises';
import path from 'node:path';
import { parseSha256Hex, writeFileAtomic } from '@swamp-store/primitives';
import { STATE_DIR } from './journal.js';

/**
 * `.swamp/swamp-store/materialized.json`: extension name -> checksum of the
 * tree whose files are on disk in this worktree. The lockfile is committed and
 * changes under us with every `git checkout`; this record is git-ignored, so
 * it still says what is really here. With it, an install after a checkout
 * knows that another version's files are ours (replace them, remove its
 * orphans) rather than edits made by hand (refuse without --force).
 */
export const MATERIALIZED_FILE = `${STATE_DIR}/materialized.json`;
export type Materialized = Record<string, string>;

/** Tolerant: a missing or damaged record only loses the hint, never blocks a command. */
export async function readMaterialized(repoDir: string): Promise<Materialized> {
  try {
    const doc = JSON.parse(await fs.readFile(path.join(repoDir, MATERIALIZED_FILE), 'utf8')) as unknown;
    const out: Materialized = {};
    if (doc && typeof doc === 'object' && !Array.isArray(doc)) {
      for (const [name, sum] of Object.entries(doc)) {
        const hex = parseSha256Hex(sum);
        if (hex) out[name] = hex;
      }
    }
    return out;
  } catch {
    return {};
  }
}

/** Atomic so a kill leaves the old record or the new one; call only under the lockfile lock. */
export async function writeMaterialized(repoDir: string, record: Materialized): Promise<void> {
  const file = path.join(repoDir, MATERIALIZED_FILE);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, JSON.stringify(record));
}
