import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { sha256File } from '@swamp-store/store';
import { isUnderAny } from './rel-path.js';

/**
 * Swamp's `filesChecksum`: one SHA-256 over the installed files of an
 * extension, which Swamp compares on upgrade to detect hand edits. It must
 * match Swamp's value exactly, so the rules below are Swamp's:
 *
 * - every regular file under `.swamp/pulled-extensions/<name>/` (symlinks and
 *   other non-regular entries are not counted);
 * - `relPath` is relative to that directory, with forward slashes;
 * - any entry whose NAME starts with `._` (macOS AppleDouble) is skipped, a
 *   directory with all it holds, as Swamp's walk skips it before descending;
 * - lines `<relPath>\0<sha256 hex>\n`, sorted by relPath in UTF-16 code-unit
 *   order (JS `<`, the same order as the default `Array.prototype.sort`, NOT
 *   `localeCompare`), concatenated, UTF-8 encoded, hashed; lowercase hex.
 */

export interface FileDigest {
  /** Relative to the extension dir, forward slashes. */
  relPath: string;
  /** Lowercase hex SHA-256 of the file's bytes. */
  sha256: string;
}

export interface FilesChecksumOptions {
  /**
   * Subtrees to leave out, relative to the extension dir: the roots of nested
   * extensions (`@a/b/c` lives inside `@a/b`), whose files are theirs. Newer
   * Swamp releases exclude them; by default nothing is excluded.
   */
  excludeRelDirs?: readonly string[];
}

/** False for paths Swamp's walk never reaches (a `._` name at any level). */
export function isChecksummedPath(relPath: string): boolean {
  // A segment starts with `._` exactly when the path does or holds `/._`.
  return !relPath.startsWith('._') && !relPath.includes('/._');
}

export function filesChecksum(files: readonly FileDigest[], opts: FilesChecksumOptions = {}): string {
  const skip = opts.excludeRelDirs ?? [];
  const kept = files.filter((f) => isChecksummedPath(f.relPath) && !isUnderAny(f.relPath, skip));
  kept.sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));
  // One update of the joined lines: the same bytes as a line per update, without 10,000 calls into the hash.
  return createHash('sha256')
    .update(kept.map((f) => `${f.relPath}\0${f.sha256}\n`).join(''), 'utf8')
    .digest('hex');
}

/**
 * The value for a store tree, from its recorded hashes without reading a file:
 * the files under `ext/` are exactly what lands in the extension dir.
 */
export function filesChecksumOfTree(treeFiles: readonly { path: string; sha256: string }[], opts: FilesChecksumOptions = {}): string {
  // Pure, and tree manifests are shared per tree (store's readTreeManifest): asked again by a
  // later plan of the same command (or a no-op check), the answer is kept.
  const key = (opts.excludeRelDirs ?? []).join('\0');
  let byKey = ofTree.get(treeFiles);
  const hit = byKey?.get(key);
  if (hit !== undefined) return hit;
  const sum = computeOfTree(treeFiles, opts);
  if (!byKey) ofTree.set(treeFiles, (byKey = new Map()));
  byKey.set(key, sum);
  return sum;
}
const ofTree = new WeakMap<readonly { path: string; sha256: string }[], Map<string, string>>();

function computeOfTree(treeFiles: readonly { path: string; sha256: string }[], opts: FilesChecksumOptions): string {
  const ext = treeFiles
    .filter((f) => f.path.startsWith('ext/'))
    .map((f) => ({ relPath: f.path.slice('ext/'.length), sha256: f.sha256 }));
  return filesChecksum(ext, opts);
}

/**
 * The value for an extension dir on disk (what `verify` compares), or
 * undefined when the directory does not exist.
 */
export async function filesChecksumOfDir(extDir: string, opts: FilesChecksumOptions = {}): Promise<string | undefined> {
  try {
    if (!(await fs.stat(extDir)).isDirectory()) return undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const skip = new Set(opts.excludeRelDirs ?? []);
  const found: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await fs.readdir(rel ? path.join(extDir, rel) : extDir, { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith('._')) continue;
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!skip.has(childRel)) await walk(childRel);
      } else if (e.isFile()) {
        found.push(childRel);
      }
    }
  };
  await walk('');

  // A few reads in flight keep a 10,000-file bundle quick without exhausting fds.
  const digests: FileDigest[] = new Array(found.length);
  let next = 0;
  const worker = async () => {
    while (next < found.length) {
      const i = next++;
      const relPath = found[i] as string;
      digests[i] = { relPath, sha256: await sha256File(path.join(extDir, relPath)) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, found.length) }, worker));
  return filesChecksum(digests);
}
