import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { lazyCacache as cacache, lazySsri as ssri } from './lazy.js';
import { StoreError } from './errors.js';
import { clearArchiveMissing } from './archive-missing.js';
import { ensureLayout, type Store } from './store.js';
import { isSha256Hex, mapFsError, parseSha256Hex } from '@swamp-store/primitives';

/** What the store knows about one archive's bytes. */
export interface ArchiveInfo {
  sha256: string;
  /** SRI string with sha512 (cacache's content address) and sha256 (Swamp's checksum). */
  integrity: string;
  size: number;
  name?: string;
  version?: string;
}

export interface IngestOptions {
  /** Swamp's checksum (hex sha256) the bytes must have. */
  expectedSha256?: string;
  /** Or an SRI string the bytes must match. */
  expectedIntegrity?: string;
  /** Index key naming where the bytes came from (`file:<path>`, `url:<url>`, `ext:<name>@<version>`). */
  sourceKey: string;
  name?: string;
  version?: string;
}

export function sha256Key(sha256: string): string {
  return `sha256:${sha256}`;
}

export function versionKey(name: string, version: string): string {
  return `ext:${name}@${version}`;
}

/**
 * Older cacache named temp files with 32 random bits, which collided when many
 * processes wrote at once (npm/cli#7308); 20.0.4 uses randomUUID. The
 * per-process prefix keeps a clash impossible whatever the version, and lets
 * gc tell a dead writer's temp files by their pid.
 */
function tmpPrefix(): string {
  return `${os.hostname()}-${process.pid}`;
}

/** Ingests running in this process: they all share this process's temp-file prefix. */
let ingestsInFlight = 0;

/**
 * cacache removes its temp file after a failed write, but asynchronously: the
 * error can reach us first, and a SIGKILL right then would leave the file for
 * gc. When no other ingest of this process is running, every temp file with
 * our prefix is this failed ingest's, so remove it before reporting the error.
 */
async function removeOwnTempFiles(store: Store): Promise<void> {
  if (ingestsInFlight !== 1) return;
  const dir = path.join(store.layout.cas, 'tmp');
  const names = await fs.promises.readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith(`${tmpPrefix()}-`)).map((n) => fs.promises.rm(path.join(dir, n), { force: true })));
}

function expectedIntegrity(opts: IngestOptions): string | undefined {
  if (opts.expectedIntegrity) return opts.expectedIntegrity;
  if (opts.expectedSha256) {
    const hex = parseSha256Hex(opts.expectedSha256);
    if (!hex) throw new StoreError('E_INTEGRITY', `Expected checksum '${opts.expectedSha256}' is not a hex SHA-256.`);
    return `sha256-${Buffer.from(hex, 'hex').toString('base64')}`;
  }
  return undefined;
}

/**
 * Streams archive bytes into cacache, hashing sha512 and sha256 in one pass,
 * and indexes them by source and by sha256. Bytes that fail the expected
 * integrity never get a content entry (cacache writes to tmp/ and only moves
 * verified content into place).
 */
export async function ingest(store: Store, source: string | Readable | Buffer, opts: IngestOptions): Promise<ArchiveInfo> {
  await ensureLayout(store);
  const integrity = expectedIntegrity(opts);
  const metadata = { name: opts.name, version: opts.version, ingestedAt: new Date().toISOString() };
  const cache = await cacache();
  // Made only now, right before the pipeline listens to it: a stream created before an
  // await emits its open error ('ENOENT') with nobody listening, which kills the process.
  const input = typeof source === 'string' ? fs.createReadStream(source) : Buffer.isBuffer(source) ? Readable.from([source]) : source;
  const put = cache.put.stream(store.layout.cas, opts.sourceKey, {
    // Both in one pass: sha512 is cacache's content address, sha256 is Swamp's checksum.
    // (@types/cacache says one algorithm; cacache passes the list to ssri, which hashes all.)
    algorithms: ['sha512', 'sha256'] as unknown as [string],
    integrity,
    metadata,
    tmpPrefix: tmpPrefix(),
  });
  let sri: string | undefined;
  let size = 0;
  put.on('integrity', (i: unknown) => (sri = String(i)));
  put.on('size', (s: number) => (size = s));
  ingestsInFlight++;
  try {
    await pipeline(input, put);
  } catch (err) {
    await removeOwnTempFiles(store);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EINTEGRITY') {
      throw new StoreError(
        'E_INTEGRITY',
        `Archive ${opts.name ? `${opts.name}@${opts.version} ` : ''}does not match its expected checksum ${opts.expectedSha256 ?? opts.expectedIntegrity}.`,
        'The download or file is corrupt or was tampered with; fetch it again from a trusted source.',
        { cause: err },
      );
    }
    if (code === 'ENOENT' && typeof source === 'string') {
      throw new StoreError('E_NOT_FOUND', `Archive ${source} does not exist.`, 'Check the path and try again.', { cause: err });
    }
    throw mapFsError(err, 'writing an archive into the store', StoreError);
  } finally {
    ingestsInFlight--;
  }
  if (!sri) throw new StoreError('E_STORE', 'The store did not report the archive integrity.');
  const parsed = (await ssri()).parse(sri);
  const sha256Entry = parsed.sha256?.[0];
  if (!sha256Entry) throw new StoreError('E_STORE', 'The store did not compute a sha256 for the archive.');
  const sha256 = Buffer.from(sha256Entry.digest, 'base64').toString('hex');
  const info: ArchiveInfo = { sha256, integrity: parsed.toString(), size, name: opts.name, version: opts.version };
  await (await cacache()).index.insert(store.layout.cas, sha256Key(sha256), info.integrity, { metadata: { ...metadata, sha256 }, size });
  if (opts.name && opts.version) await recordVersion(store, opts.name, opts.version, info);
  await clearArchiveMissing(store, sha256);
  return info;
}

/** Remembers `name@version -> archive` so pinned versions resolve offline. */
export async function recordVersion(store: Store, name: string, version: string, info: ArchiveInfo): Promise<void> {
  // An index hint only (offline pins); a read-only store serves without it.
  if (store.readOnly) return;
  await ensureLayout(store);
  await (await cacache()).index.insert(store.layout.cas, versionKey(name, version), info.integrity, {
    metadata: { name, version, sha256: info.sha256, recordedAt: new Date().toISOString() },
    size: info.size,
  });
  await (await cacache()).index.insert(store.layout.cas, sha256Key(info.sha256), info.integrity, {
    metadata: { name, version, sha256: info.sha256 },
    size: info.size,
  });
}

async function infoFor(store: Store, key: string): Promise<ArchiveInfo | undefined> {
  const entry = await (await cacache()).get.info(store.layout.cas, key).catch(() => null);
  if (!entry) return undefined;
  const meta = (entry.metadata ?? {}) as { sha256?: string; name?: string; version?: string };
  if (!meta.sha256 || !isSha256Hex(meta.sha256)) return undefined;
  return { sha256: meta.sha256, integrity: entry.integrity, size: entry.size ?? 0, name: meta.name, version: meta.version };
}

/** The archive with this sha256, when its bytes are in the store. */
export async function findArchive(store: Store, sha256: string): Promise<ArchiveInfo | undefined> {
  const hex = parseSha256Hex(sha256);
  if (!hex) return undefined;
  const info = await infoFor(store, sha256Key(hex));
  if (!info) return undefined;
  const has = await (await cacache()).get.hasContent(store.layout.cas, info.integrity);
  return has ? info : undefined;
}

/** What `name@version` resolved to the last time it was fetched (bytes may since have been collected). */
export async function lookupVersion(store: Store, name: string, version: string): Promise<ArchiveInfo | undefined> {
  return infoFor(store, versionKey(name, version));
}

/** A stream of the archive bytes; cacache re-checks their integrity as they are read. */
export async function openArchiveStream(store: Store, info: ArchiveInfo): Promise<Readable> {
  return (await cacache()).get.stream.byDigest(store.layout.cas, info.integrity) as unknown as Readable;
}
