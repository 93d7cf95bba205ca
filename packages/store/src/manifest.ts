import { parseDocument } from 'yaml';
// yaml is a large module: this file is reached only from extraction and the registry server, never from
// the store's index, so a command that unpacks nothing does not load it (dependency.ts has what others need).
import { EXTENSION_NAME_RE } from '@swamp-store/primitives';
import { invalid, parseDependency, show } from './dependency.js';

/**
 * An extension's `manifest.yaml` (see docs/swamp-compatibility.md), validated. Only what
 * swamp-store acts on is typed; everything else stays in `raw`.
 */
export interface ExtensionManifest {
  manifestVersion: 1;
  name: string;
  version: string;
  description?: string;
  /** Extension names, each optionally with a version or constraint (see `parseDependency`). */
  dependencies: string[];
  /** Paths relative to the extension's `files/` that get mode 0755. */
  binaries: string[];
  /** Paths relative to the extension's `models/` that the loader skips. */
  include: string[];
  /** The parsed document, as YAML gave it. */
  raw: Record<string, unknown>;
}

export interface ParseManifestOptions {
  /** The name the registry or the user asked for; a manifest naming another extension is refused. */
  expectedName?: string;
}

export const CALVER_RE = /^\d{4}\.\d{2}\.\d{2}\.\d+$/;
/** Larger manifests are refused before parsing: real ones are a few KiB. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;
/** Aliases are legal YAML but real manifests hardly use them; a small cap defeats "billion laughs". */
const MAX_ALIAS_COUNT = 50;
const MAX_LABELS = 20;

const PATH_ARRAY_FIELDS = [
  'models',
  'workflows',
  'vaults',
  'drivers',
  'datastores',
  'reports',
  'skills',
  'include',
  'additionalFiles',
  'binaries',
] as const;
const STRING_FIELDS = ['description', 'repository', 'releaseNotes'] as const;
const STRING_ARRAY_FIELDS = ['platforms'] as const;

/**
 * True for a relative path that cannot leave the directory it is joined to:
 * no leading `/`, no drive letter, no `..` segment, no backslash, NUL or control character.
 */
export function isSafeRelativePath(p: string): boolean {
  if (p.length === 0 || p.startsWith('/') || /^[A-Za-z]:/.test(p)) return false;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(p)) return false;
  return !p.split('/').includes('..');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** YAML writes an empty key (`models:`) as null; Swamp users mean "absent". */
function present(raw: Record<string, unknown>, key: string): unknown {
  const v = Object.prototype.hasOwnProperty.call(raw, key) ? raw[key] : undefined;
  return v === null ? undefined : v;
}

function stringArray(raw: Record<string, unknown>, key: string): string[] {
  const v = present(raw, key);
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw invalid(`Manifest field '${key}' must be a list of strings.`);
  }
  return v as string[];
}

function parseYaml(text: string): Record<string, unknown> {
  if (Buffer.byteLength(text, 'utf8') > MAX_MANIFEST_BYTES) {
    throw invalid(`The manifest is larger than ${MAX_MANIFEST_BYTES} bytes.`);
  }
  let doc;
  try {
    // logLevel 'error', not 'silent': 'silent' also stops yaml from recording some
    // errors (a second document is then silently ignored).
    doc = parseDocument(text, { uniqueKeys: true, strict: true, prettyErrors: false, logLevel: 'error' });
  } catch (err) {
    throw invalid(`The manifest is not valid YAML: ${show((err as Error).message)}.`, err);
  }
  const firstError = doc.errors[0];
  if (firstError) throw invalid(`The manifest is not valid YAML: ${show(firstError.message)}.`, firstError);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // yaml throws a ReferenceError when aliases expand past maxAliasCount.
    throw invalid(`The manifest could not be read: ${show((err as Error).message)}.`, err);
  }
  if (!isPlainObject(value)) throw invalid('The manifest must be a YAML mapping.');
  return value;
}

/** Parses and validates `manifest.yaml`; every failure is a `StoreError('E_MANIFEST')`. */
export function parseManifest(text: string, opts: ParseManifestOptions = {}): ExtensionManifest {
  const raw = parseYaml(text);

  if (raw.manifestVersion !== 1) {
    throw invalid(
      raw.manifestVersion === undefined
        ? "The manifest has no 'manifestVersion'."
        : `Unsupported manifestVersion ${show(raw.manifestVersion)}; only 1 is supported.`,
    );
  }
  const { name, version } = raw;
  if (typeof name !== 'string' || !EXTENSION_NAME_RE.test(name)) {
    throw invalid(`Manifest name ${show(name)} is not a scoped extension name like @scope/name.`);
  }
  if (opts.expectedName !== undefined && name !== opts.expectedName) {
    throw invalid(`The archive's manifest names ${show(name)}, not the requested ${show(opts.expectedName)}.`);
  }
  if (typeof version !== 'string' || !CALVER_RE.test(version)) {
    throw invalid(`Manifest version ${show(version)} is not CalVer like 2026.08.20.1.`);
  }

  for (const key of STRING_FIELDS) {
    const v = present(raw, key);
    if (v !== undefined && typeof v !== 'string') throw invalid(`Manifest field '${key}' must be a string.`);
  }
  for (const key of STRING_ARRAY_FIELDS) stringArray(raw, key);
  const labels = stringArray(raw, 'labels');
  if (labels.length > MAX_LABELS) throw invalid(`The manifest has ${labels.length} labels; at most ${MAX_LABELS} are allowed.`);

  const paths: Record<string, string[]> = {};
  for (const key of PATH_ARRAY_FIELDS) {
    const list = stringArray(raw, key);
    const bad = list.find((p) => !isSafeRelativePath(p));
    if (bad !== undefined) throw invalid(`Manifest field '${key}' holds the unsafe path ${show(bad)}.`);
    paths[key] = list;
  }

  const dependencies = stringArray(raw, 'dependencies');
  for (const d of dependencies) parseDependency(d);

  const manifest: ExtensionManifest = {
    manifestVersion: 1,
    name,
    version,
    dependencies,
    binaries: paths.binaries ?? [],
    include: paths.include ?? [],
    raw,
  };
  const description = present(raw, 'description');
  if (typeof description === 'string') manifest.description = description;
  return manifest;
}

export { parseDependency, type Dependency } from './dependency.js';
