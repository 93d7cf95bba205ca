import fs from 'node:fs/promises';
import path from 'node:path';
import { mapFsError, parseSha256Hex, writeFileAtomic } from '@swamp-store/primitives';
import { WorktreeError } from './errors.js';
import { ALL_SKILLS_DIRS } from './repo.js';
import { BUNDLE_KINDS, EXTENSION_NAME_RE, bundleDir, extensionDir, isSafeRelativePath } from './placement.js';

/**
 * Swamp's `upstream_extensions.json`: a JSON object keyed by extension name.
 * The lockfile is committed, so it arrives with every clone and every merge:
 * it is read as hostile input, and it is never modified by a failed read.
 */

export type Channel = 'beta' | 'rc';

/**
 * One entry, keys declared in the order Swamp writes them. `checksum`,
 * `filesChecksum` and `serverUrl` are optional because Swamp writes each only
 * when it has a value and older Swamp releases wrote none of them.
 */
export interface LockEntry {
  version: string;
  pulledAt: string;
  files: string[];
  include?: string[];
  checksum?: string;
  filesChecksum?: string;
  serverUrl?: string;
  channel?: Channel;
}

export type LockEntries = Record<string, LockEntry>;

export interface ReadLockfileResult {
  entries: LockEntries;
  /** The file's text as read, or undefined when there is no lockfile. */
  raw: string | undefined;
}

/** Keys we know, in Swamp's order; any other key of an entry is kept after them. */
const ENTRY_KEYS = ['version', 'pulledAt', 'files', 'include', 'checksum', 'filesChecksum', 'serverUrl', 'channel'] as const;
const KNOWN_KEYS = new Set<string>(ENTRY_KEYS);

/** Far above any real lockfile (10,000-file extensions included); stops a hostile one from exhausting memory. */
const MAX_LOCKFILE_BYTES = 256 * 1024 * 1024;
/** Versions end up in store keys and messages: CalVer, semver and the like, nothing else. */
const VERSION_RE = /^[0-9A-Za-z][0-9A-Za-z._+-]{0,127}$/;

function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

function corrupt(file: string, what: string, cause?: unknown): WorktreeError {
  const shown = displayPath(file);
  return new WorktreeError(
    'E_LOCKFILE',
    `Lockfile ${file} ${what}.`,
    `Fix it by hand or restore it with 'git checkout -- ${shown}'; swamp-store has not changed it.`,
    { cause },
  );
}

function unsafe(file: string, name: string, what: string): WorktreeError {
  const shown = displayPath(file);
  return new WorktreeError(
    'E_UNSAFE_LOCKFILE',
    `Lockfile ${file} ${what} for ${JSON.stringify(name)}; swamp-store will not touch files through it.`,
    `Remove that entry from the lockfile by hand or restore it with 'git checkout -- ${shown}'.`,
  );
}

/**
 * Why `p` may not appear in the `files` of extension `name`, or undefined when
 * it may. Anything listed there can be deleted by `rm` or an upgrade, so it must
 * name something strictly inside an area swamp-store manages for this extension:
 * its own `.swamp/pulled-extensions/<name>/`, its own bundle namespaces, or a
 * skill directory under a known skills dir. The check is lexical; the deleter
 * must still refuse to follow symlinks.
 */
export function lockfilePathProblem(name: string, p: unknown): string | undefined {
  if (typeof p !== 'string') return 'is not a string';
  if (p.length > 4096) return 'is too long';
  if (!isSafeRelativePath(p)) return 'is not a normalised relative path inside the repository';
  for (const prefix of ownPrefixes(name)) if (p.startsWith(prefix)) return undefined;
  return "is outside the extension's own directories";
}

/** `<root>/` of each area the entry may list files in, per name: asked once per listed file. */
function ownPrefixes(name: string): string[] {
  let prefixes = prefixesByName.get(name);
  if (!prefixes) {
    prefixes = [extensionDir(name), ...BUNDLE_KINDS.map((kind) => bundleDir(name, kind)), ...ALL_SKILLS_DIRS].map((root) => `${root}/`);
    prefixesByName.set(name, prefixes);
  }
  return prefixes;
}
const prefixesByName = new Map<string, string[]>();

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalHex(file: string, name: string, entry: Record<string, unknown>, key: 'checksum' | 'filesChecksum'): string | undefined {
  const v = entry[key];
  if (v === undefined || v === null || v === '') return undefined;
  const hex = parseSha256Hex(v);
  if (!hex) throw corrupt(file, `has a '${key}' for ${name} that is not a hex SHA-256`);
  // Lower case from here on: the store names digests in lower case (an upper-case checksum must still be found).
  return hex;
}

/** Validates one entry; returns it rebuilt in Swamp's key order, unknown keys kept after. */
export function validateLockEntry(file: string, name: string, value: unknown): LockEntry {
  if (!EXTENSION_NAME_RE.test(name)) throw unsafe(file, name, 'has an entry whose name is not a valid extension name');
  if (!isPlainObject(value)) throw corrupt(file, `has an entry for ${name} that is not an object`);

  const { version, pulledAt, files, include, serverUrl, channel } = value;
  if (typeof version !== 'string' || !VERSION_RE.test(version)) throw corrupt(file, `has an invalid 'version' for ${name}`);
  if (typeof pulledAt !== 'string' || pulledAt.length > 64) throw corrupt(file, `has an invalid 'pulledAt' for ${name}`);

  // Swamp's own type has `files` optional; a missing list tracks nothing.
  const fileList = files ?? [];
  if (!Array.isArray(fileList)) throw corrupt(file, `has a 'files' for ${name} that is not a list`);
  for (const f of fileList) {
    if (typeof f !== 'string') throw corrupt(file, `has a non-string in 'files' for ${name}`);
    const problem = lockfilePathProblem(name, f);
    if (problem) throw unsafe(file, name, `lists ${JSON.stringify(f)}, which ${problem},`);
  }

  if (include !== undefined && !(Array.isArray(include) && include.every((x) => typeof x === 'string' && !x.includes('\0')))) {
    throw corrupt(file, `has an 'include' for ${name} that is not a list of paths`);
  }
  const checksum = optionalHex(file, name, value, 'checksum');
  const filesChecksum = optionalHex(file, name, value, 'filesChecksum');

  let url: string | undefined;
  if (serverUrl !== undefined && serverUrl !== null && serverUrl !== '') {
    if (typeof serverUrl !== 'string' || !isHttpUrl(serverUrl)) throw corrupt(file, `has a 'serverUrl' for ${name} that is not an http(s) URL`);
    url = serverUrl;
  }

  let ch: Channel | undefined;
  if (channel !== undefined && channel !== null && channel !== 'stable') {
    if (channel !== 'beta' && channel !== 'rc') throw corrupt(file, `has an unknown 'channel' for ${name}`);
    ch = channel;
  }

  const entry: LockEntry = { version, pulledAt, files: [...(fileList as string[])] };
  if (include !== undefined) entry.include = [...(include as string[])];
  if (checksum !== undefined) entry.checksum = checksum;
  if (filesChecksum !== undefined) entry.filesChecksum = filesChecksum;
  if (url !== undefined) entry.serverUrl = url;
  if (ch !== undefined) entry.channel = ch;
  // Fields a newer Swamp may add survive our rewrite of entries we did not change.
  for (const [k, v] of Object.entries(value)) {
    if (!KNOWN_KEYS.has(k)) (entry as unknown as Record<string, unknown>)[k] = v;
  }
  return entry;
}

function isHttpUrl(s: string): boolean {
  if (s.length > 2048) return false;
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * Parses lockfile text; `file` only names it in messages. One command reads the lockfile up to
 * five times (fast path, heal, plan, transaction, commit) and validating every listed path of
 * 100 entries each time added up: the last text validated per file is kept, and each caller
 * gets its own copy (callers change the entries they get).
 */
export function parseLockfile(text: string, file: string): LockEntries {
  const last = lastParsed.get(file);
  if (last && last.text === text) return structuredClone(last.entries);
  const entries = parseAndValidate(text, file);
  lastParsed.set(file, { text, entries: structuredClone(entries) });
  return entries;
}
const lastParsed = new Map<string, { text: string; entries: LockEntries }>();

function parseAndValidate(text: string, file: string): LockEntries {
  let doc: unknown;
  try {
    // An editor may have added a BOM; JSON.parse would reject the whole file for it.
    doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw corrupt(file, `is not valid JSON (${(err as Error).message})`, err);
  }
  if (!isPlainObject(doc)) throw corrupt(file, 'is not a JSON object keyed by extension name');
  const entries: LockEntries = {};
  for (const [name, value] of Object.entries(doc)) entries[name] = validateLockEntry(file, name, value);
  return entries;
}

/** Reads the lockfile fresh. A missing file is an empty lockfile; anything unreadable is an error. */
export async function readLockfile(file: string): Promise<ReadLockfileResult> {
  let fh;
  try {
    fh = await fs.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: {}, raw: undefined };
    throw corrupt(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, err);
  }
  let raw: string;
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw corrupt(file, 'is not a regular file');
    if (st.size > MAX_LOCKFILE_BYTES) throw corrupt(file, `is larger than ${MAX_LOCKFILE_BYTES} bytes`);
    raw = await fh.readFile('utf8');
  } finally {
    await fh.close();
  }
  return { entries: parseLockfile(raw, file), raw };
}

/** One entry as Swamp writes it: fixed key order, empty optional fields left out. */
function orderedEntry(name: string, e: LockEntry): Record<string, unknown> {
  if (!EXTENSION_NAME_RE.test(name)) throw new WorktreeError('E_USAGE', `Invalid extension name ${JSON.stringify(name)}.`);
  const out: Record<string, unknown> = { version: e.version, pulledAt: e.pulledAt, files: e.files };
  if (e.include && e.include.length > 0) out.include = e.include;
  if (e.checksum) out.checksum = e.checksum;
  if (e.filesChecksum) out.filesChecksum = e.filesChecksum;
  if (e.serverUrl) out.serverUrl = e.serverUrl;
  if (e.channel === 'beta' || e.channel === 'rc') out.channel = e.channel;
  for (const [k, v] of Object.entries(e)) {
    if (!KNOWN_KEYS.has(k) && v !== undefined) out[k] = v;
  }
  return out;
}

/**
 * Byte-for-byte what Swamp writes: `JSON.stringify(obj, null, 2) + "\n"`.
 * Entries keep the order of `entries` (the order they had on disk, new ones
 * last), so a pull changes only the lines of the extension it touched.
 */
export function serializeLockfile(entries: LockEntries): string {
  const obj: Record<string, unknown> = {};
  for (const [name, e] of Object.entries(entries)) obj[name] = orderedEntry(name, e);
  return JSON.stringify(obj, null, 2) + '\n';
}

function tempPathFor(file: string): string {
  const rand = Math.random().toString(36).slice(2, 10) || '0';
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${rand}.tmp`);
}

/**
 * Replaces the lockfile atomically: a reader (Swamp, git, another agent) sees
 * the old file or the new one, never a torn write, and a crash at any point
 * leaves one of the two. The temp file sits in the same directory so the
 * rename cannot cross filesystems. The file's existing permissions are kept.
 */
export async function writeLockfileAtomic(file: string, entries: LockEntries): Promise<void> {
  const text = serializeLockfile(entries);
  try {
    await fs.mkdir(path.dirname(file), { recursive: true });
    // A dot-named temp beside the lockfile: sweepLockfileTemps knows its shape.
    await writeFileAtomic(file, text, { tmp: tempPathFor(file) });
  } catch (err) {
    throw mapFsError(err, `writing ${file}`, WorktreeError);
  }
}

/**
 * Removes temp files left by a writer that crashed between open and rename.
 * Call it only while holding the lockfile lock: then no live writer can own one.
 */
export async function sweepLockfileTemps(file: string): Promise<string[]> {
  const dir = path.dirname(file);
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  const escaped = path.basename(file).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const temp = new RegExp(`^\\.${escaped}\\.\\d+\\.[0-9a-z]+\\.tmp$`);
  for (const n of names) {
    if (!temp.test(n)) continue;
    await fs.rm(path.join(dir, n), { force: true });
    removed.push(path.join(dir, n));
  }
  return removed;
}

export interface MakeEntryInput {
  version: string;
  /** Repo-relative; sorted and deduplicated here (placement's `lockfileFiles`). */
  files: readonly string[];
  include?: readonly string[] | undefined;
  checksum: string;
  filesChecksum: string;
  serverUrl: string;
  /** `stable` (or nothing) is recorded as no channel at all, as Swamp does. */
  channel?: Channel | 'stable' | undefined;
  /** Clock for a fresh `pulledAt`; tests pin it. */
  now?: Date;
}

/**
 * The entry for an install. `pulledAt` is kept when the same version is
 * installed again (a restore or a re-pull is not a new pull), so a repeated
 * install does not dirty the committed lockfile.
 */
export function makeEntry(input: MakeEntryInput, previous?: LockEntry): LockEntry {
  if (!VERSION_RE.test(input.version)) throw new WorktreeError('E_USAGE', `Invalid version ${JSON.stringify(input.version)}.`);
  const checksum = parseSha256Hex(input.checksum);
  if (!checksum) throw new WorktreeError('E_USAGE', 'A lockfile checksum must be a hex SHA-256.');
  const filesChecksum = input.filesChecksum ? parseSha256Hex(input.filesChecksum) : undefined;
  if (input.filesChecksum && !filesChecksum) throw new WorktreeError('E_USAGE', 'A lockfile filesChecksum must be a hex SHA-256.');
  const pulledAt = previous && previous.version === input.version ? previous.pulledAt : (input.now ?? new Date()).toISOString();
  const entry: LockEntry = { version: input.version, pulledAt, files: [...new Set(input.files)].sort() };
  if (input.include && input.include.length > 0) entry.include = [...input.include];
  entry.checksum = checksum;
  if (filesChecksum) entry.filesChecksum = filesChecksum;
  if (input.serverUrl) entry.serverUrl = input.serverUrl;
  if (input.channel === 'beta' || input.channel === 'rc') entry.channel = input.channel;
  return entry;
}
