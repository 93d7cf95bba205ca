import path from 'node:path';
import { WorktreeError } from './errors.js';
import { isSafeRelativePath } from './placement.js';

// What repo.ts needs of `.swamp.yaml` handling without the YAML parser:
// swamp-config.ts (which loads yaml) is imported only for a non-empty file.

export interface SwampConfig {
  modelsDir?: string;
  /** undefined when the key is absent (Swamp then defaults to `["claude"]`). */
  tools?: string[] | null;
}

export function configError(file: string, what: string, cause?: unknown): WorktreeError {
  return new WorktreeError('E_CONFIG', `${file} ${what}.`, `Fix ${file} by hand, or pass --repo-dir to use another repository.`, { cause });
}

/**
 * Validates and normalises a models dir. It must stay inside the repository:
 * `.swamp.yaml` is committed, so a cloned repository could otherwise point our
 * lockfile writes anywhere on disk.
 */
export function normalizeModelsDir(raw: string): string | undefined {
  if (raw.includes('\\') || raw.includes('\0')) return undefined;
  let p = path.posix.normalize(raw);
  while (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  if (p === '.') return '.';
  return isSafeRelativePath(p) ? p : undefined;
}

