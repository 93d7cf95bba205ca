import path from 'node:path';
import { EXTENSION_NAME_SOURCE } from '@swamp-store/primitives';
import { RegistryError } from './errors.js';

// How a ref is read, in a module of its own: the CLI classifies refs before it
// decides whether to load the registry client at all (a pull of local archive
// paths never needs http).

export type RefKind = { kind: 'name'; name: string; version?: string } | { kind: 'url'; url: URL } | { kind: 'path'; path: string };

const NAME_REF = new RegExp(`^(${EXTENSION_NAME_SOURCE})(?:@([^@/\\s]+))?$`);

/** `@scope/name[@version]`, an http(s) URL, or else a path to an archive (docs/CLI.md). */
export function classifyRef(ref: string, cwd = process.cwd()): RefKind {
  const m = NAME_REF.exec(ref);
  if (m) return { kind: 'name', name: m[1] as string, ...(m[2] ? { version: m[2] } : {}) };
  if (/^https?:\/\//i.test(ref)) {
    try {
      return { kind: 'url', url: new URL(ref) };
    } catch {
      throw new RegistryError('E_NOT_FOUND', `'${ref}' is not a valid URL.`, 'Check the URL and try again.');
    }
  }
  if (ref.startsWith('@')) {
    throw new RegistryError('E_NOT_FOUND', `'${ref}' is not a valid extension name.`, "Names look like '@scope/name' or '@scope/name@2026.08.20.1'.");
  }
  return { kind: 'path', path: path.resolve(cwd, ref) };
}

