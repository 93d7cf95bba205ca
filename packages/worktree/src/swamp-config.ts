import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { WorktreeError } from './errors.js';
import { isSafeRelativePath } from './placement.js';

/** Caps alias expansion so a "billion laughs" document cannot exhaust memory. */
const MAX_YAML_ALIASES = 100;

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

/** Parses `.swamp.yaml` text; `file` only names it in messages. */
export function parseSwampConfig(text: string, file: string): SwampConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: MAX_YAML_ALIASES, uniqueKeys: true });
  } catch (err) {
    throw configError(file, `is not valid YAML (${(err as Error).message.split('\n')[0]})`, err);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw configError(file, 'is not a YAML mapping');
  const obj = doc as Record<string, unknown>;
  const config: SwampConfig = {};

  if (obj.modelsDir !== undefined && obj.modelsDir !== null) {
    if (typeof obj.modelsDir !== 'string') throw configError(file, "has a 'modelsDir' that is not a string");
    config.modelsDir = obj.modelsDir;
  }

  if (Object.hasOwn(obj, 'tools')) {
    const t = obj.tools;
    if (t === null) config.tools = null;
    else if (typeof t === 'string') config.tools = [t];
    else if (Array.isArray(t)) config.tools = t.filter((x): x is string => typeof x === 'string');
    else throw configError(file, "has a 'tools' value that is neither a list nor a name");
  }
  return config;
}

