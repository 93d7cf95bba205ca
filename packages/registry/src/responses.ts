import { parseSha256Hex } from '@swamp-store/primitives';
import { isCalVer } from './versions.js';

/**
 * Shapes of the registry's JSON answers, checked field by field: a hostile or
 * broken server must produce a clear E_NETWORK, never a `version` of
 * `../../x` flowing into store keys and messages.
 */

export interface ExtensionInfo {
  name: string;
  latestVersion: string | null;
  latestRc: string | null;
  latestBeta: string | null;
  deprecatedAt: string | null;
  yankedAt: string | null;
  dependencies: string[];
}

export interface LatestVersion {
  version: string;
  publishedAt?: string;
  channel?: string;
}

/** Thrown by the parsers below; the client turns it into a RegistryError naming the URL. */
export class ShapeError extends Error {}

const MAX_STRING = 4096;

type Json = Record<string, unknown>;

function object(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ShapeError(`${what} is not a JSON object`);
  return v as Json;
}

function optionalString(o: Json, key: string): string | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v.length > MAX_STRING) throw new ShapeError(`'${key}' is not a string or null`);
  return v;
}

function optionalVersion(o: Json, key: string): string | null {
  const v = optionalString(o, key);
  if (v !== null && !isCalVer(v)) throw new ShapeError(`'${key}' is not a version (YYYY.MM.DD.N)`);
  return v;
}

export function parseInfo(body: unknown): ExtensionInfo {
  const o = object(body, 'The extension info');
  const name = o.name;
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_STRING) throw new ShapeError(`'name' is missing`);
  if (!('latestVersion' in o)) throw new ShapeError(`'latestVersion' is missing`);
  let dependencies: string[] = [];
  if (o.dependencies !== undefined && o.dependencies !== null) {
    if (!Array.isArray(o.dependencies) || o.dependencies.length > 10_000) throw new ShapeError(`'dependencies' is not a list`);
    dependencies = o.dependencies.map((d, i) => {
      if (typeof d !== 'string' || d.length > MAX_STRING) throw new ShapeError(`'dependencies[${i}]' is not a string`);
      return d;
    });
  }
  return {
    name,
    latestVersion: optionalVersion(o, 'latestVersion'),
    latestRc: optionalVersion(o, 'latestRc'),
    latestBeta: optionalVersion(o, 'latestBeta'),
    deprecatedAt: optionalString(o, 'deprecatedAt'),
    yankedAt: optionalString(o, 'yankedAt'),
    dependencies,
  };
}

/** `latestVersionDetail.version` wins over `latestVersion`; undefined when the server names none. */
export function parseLatest(body: unknown): LatestVersion | undefined {
  const o = object(body, 'The latest-version answer');
  const detailRaw = o.latestVersionDetail;
  if (detailRaw !== undefined && detailRaw !== null) {
    const detail = object(detailRaw, `'latestVersionDetail'`);
    const version = optionalVersion(detail, 'version');
    if (version !== null) {
      const publishedAt = optionalString(detail, 'publishedAt');
      const channel = optionalString(detail, 'channel');
      return { version, ...(publishedAt !== null && { publishedAt }), ...(channel !== null && { channel }) };
    }
  }
  const version = optionalVersion(o, 'latestVersion');
  return version === null ? undefined : { version };
}

/**
 * Swamp's checksum: hex SHA-256 of the archive bytes, no prefix. A null
 * checksum means the same as a 404 (none known); a server able to say that
 * could as well answer 404, so accepting it costs no safety.
 */
export function parseChecksum(body: unknown): string | null {
  const o = object(body, 'The checksum answer');
  const c = o.checksum;
  if (c === null) return null;
  const hex = parseSha256Hex(c);
  if (!hex) throw new ShapeError(`'checksum' is not a hex SHA-256`);
  return hex;
}
