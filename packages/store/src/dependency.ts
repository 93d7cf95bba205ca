import { EXTENSION_NAME_RE } from '@swamp-store/primitives';
import { StoreError } from './errors.js';
import { showPath } from './extract/failures.js';

// Manifest rules that commands use without parsing YAML (dependency refs,
// name checks), apart from manifest.ts so that importing them loads no YAML parser.

export interface Dependency {
  name: string;
  /** One of `>= <= > < ^ ~ ! =` when the dependency carries one. */
  constraint?: string;
  version?: string;
}

const REMEDY = 'Ask the publisher to fix the manifest, or pull another version.';

export function invalid(message: string, cause?: unknown): StoreError {
  return new StoreError('E_MANIFEST', message, REMEDY, cause === undefined ? undefined : { cause });
}

/** Quoted and escaped: hostile values (control characters, huge strings) stay out of terminals and logs. */
export function show(value: unknown): string {
  return showPath(typeof value === 'string' ? value : String(value));
}

const DEPENDENCY_RE =
  /^(?<pre>>=|<=|>|<|\^|~|!|=)?(?<name>@[^@\s]+)(?:@(?<post>>=|<=|>|<|\^|~|!|=)?(?<version>[^@\s]+))?$/;

/**
 * `@scope/name`, `@scope/name@2026.08.20.1`, `@scope/name@^2026.08.20.1`, or the
 * constraint in front of the name (`>=@scope/name@2026.08.20.1`, `!@scope/name`).
 */
export function parseDependency(s: string): Dependency {
  const m = DEPENDENCY_RE.exec(s.trim());
  const g = m?.groups;
  if (!g || !g.name || !EXTENSION_NAME_RE.test(g.name) || (g.pre && g.post)) {
    throw invalid(`Dependency ${show(s)} is not an extension name with an optional version or constraint.`);
  }
  const dep: Dependency = { name: g.name };
  const constraint = g.pre ?? g.post;
  if (constraint) dep.constraint = constraint;
  if (g.version) {
    if (!/^[0-9A-Za-z.*x+-]+$/.test(g.version)) {
      throw invalid(`Dependency ${show(s)} has an invalid version ${show(g.version)}.`);
    }
    dep.version = g.version;
  }
  return dep;
}

