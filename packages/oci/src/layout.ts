import { createHash } from 'node:crypto';

/**
 * How an extension archive is laid out in an OCI repository (see README):
 * one image manifest per name@version, its only layer the archive itself
 * (Swamp's checksum is the layer's sha256 digest), the OCI empty config, and
 * the name and version as annotations. Everything is deterministic, so two
 * machines pushing the same archive write byte-identical manifests (one
 * digest, one manifest per tag however many push at once).
 */
export const MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const ARTIFACT_TYPE = 'application/vnd.swamp.extension.v1';
export const ARCHIVE_MEDIA_TYPE = 'application/vnd.swamp.extension.archive.v1.tar+gzip';
export const EMPTY_CONFIG = {
  mediaType: 'application/vnd.oci.empty.v1+json',
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
} as const;
export const EMPTY_CONFIG_BYTES = Buffer.from('{}');
export const NAME_ANNOTATION = 'dev.swamp.extension.name';
export const VERSION_ANNOTATION = 'dev.swamp.extension.version';

const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/**
 * The tag of name@version. Tags cannot hold '@' or '/': `@scope/name@1.2` is
 * `scope.name..1.2` ('.' never occurs in a name, so '..' splits it
 * unambiguously). A pair that does not fit the tag grammar (odd characters,
 * longer than 128) gets `sha256-` and 64 hex of sha256("name@version").
 */
export function tagFor(name: string, version: string): string {
  const readable = `${name.replace(/^@/, '').replace(/\//g, '.')}..${version}`;
  if (TAG.test(readable)) return readable;
  return `sha256-${createHash('sha256').update(`${name}@${version}`).digest('hex')}`;
}

export function digestOf(sha256Hex: string): string {
  return `sha256:${sha256Hex}`;
}

export interface ArchiveManifest {
  name: string;
  version: string;
  /** Hex sha256 of the archive. */
  sha256: string;
  size: number;
}

/** The manifest bytes for one archive: stable key order, no timestamps. */
export function manifestBytes(a: ArchiveManifest): Buffer {
  const fileName = `${a.name.replace(/^@/, '').replace(/\//g, '-')}-${a.version}.tar.gz`;
  const manifest = {
    schemaVersion: 2,
    mediaType: MANIFEST_MEDIA_TYPE,
    artifactType: ARTIFACT_TYPE,
    config: EMPTY_CONFIG,
    layers: [{ mediaType: ARCHIVE_MEDIA_TYPE, digest: digestOf(a.sha256), size: a.size, annotations: { 'org.opencontainers.image.title': fileName } }],
    annotations: { [NAME_ANNOTATION]: a.name, [VERSION_ANNOTATION]: a.version },
  };
  return Buffer.from(JSON.stringify(manifest));
}

/**
 * Reads a manifest fetched from the remote (hostile input): the archive layer
 * of name@version, or undefined when the manifest is not one of ours for that
 * pair (another tool's image under the same tag is a miss, not an error).
 */
export function parseArchiveManifest(bytes: Buffer, name: string, version: string): ArchiveManifest | undefined {
  let m: unknown;
  try {
    m = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  const o = m as { schemaVersion?: unknown; layers?: unknown; annotations?: Record<string, unknown> } | null;
  if (!o || o.schemaVersion !== 2 || !Array.isArray(o.layers)) return undefined;
  if (o.annotations?.[NAME_ANNOTATION] !== name || o.annotations?.[VERSION_ANNOTATION] !== version) return undefined;
  const layers = (o.layers as Array<{ mediaType?: unknown; digest?: unknown; size?: unknown }>).filter((l) => l && l.mediaType === ARCHIVE_MEDIA_TYPE);
  if (layers.length !== 1) return undefined;
  const layer = layers[0] as { digest?: unknown; size?: unknown };
  const digest = typeof layer.digest === 'string' ? /^sha256:([0-9a-f]{64})$/.exec(layer.digest) : null;
  if (!digest || typeof layer.size !== 'number' || !Number.isSafeInteger(layer.size) || layer.size < 0) return undefined;
  return { name, version, sha256: digest[1] as string, size: layer.size };
}
