import fs from 'node:fs';
import zlib from 'node:zlib';

/**
 * Reads `extension/manifest.yaml` out of a .tar.gz without unpacking it.
 *
 * A few dozen lines of tar header parsing instead of node-tar: this package
 * does not depend on `tar` (only the store does), and the server needs one
 * small entry, found by streaming headers and skipping bodies, with hard caps
 * so a hostile file in the served folder cannot exhaust memory.
 */

const BLOCK = 512;
const MANIFEST_PATH = 'extension/manifest.yaml';

export interface ReadManifestLimits {
  /** Largest manifest entry read. */
  maxManifestBytes: number;
  /** Most decompressed bytes scanned before giving up. */
  maxScanBytes: number;
}

const DEFAULTS: ReadManifestLimits = { maxManifestBytes: 1024 * 1024, maxScanBytes: 1024 * 1024 * 1024 };

/** The manifest's text, or undefined when the archive has none; throws on a corrupt archive or a limit. */
export async function readArchiveManifest(file: string, limits: Partial<ReadManifestLimits> = {}): Promise<string | undefined> {
  const { maxManifestBytes, maxScanBytes } = { ...DEFAULTS, ...limits };
  const source = fs.createReadStream(file);
  const gunzip = zlib.createGunzip();
  source.on('error', (err) => gunzip.destroy(err));
  source.pipe(gunzip);

  let pending: Buffer = Buffer.alloc(0);
  let scanned = 0;
  // Bytes of the current entry's body still to skip (including padding), or to collect.
  let skip = 0;
  let collect: { size: number; padded: number; chunks: Buffer[]; got: number; kind: 'manifest' | 'pax' | 'longname' } | undefined;
  let nextPath: string | undefined;
  let zeroBlocks = 0;

  try {
    for await (const chunk of gunzip) {
      const buf = chunk as Buffer;
      scanned += buf.length;
      if (scanned > maxScanBytes) throw new Error(`scanned more than ${maxScanBytes} bytes without finding ${MANIFEST_PATH}`);
      pending = pending.length === 0 ? buf : Buffer.concat([pending, buf]);
      while (true) {
        if (skip > 0) {
          const n = Math.min(skip, pending.length);
          skip -= n;
          pending = pending.subarray(n);
          if (skip > 0) break;
          continue;
        }
        if (collect) {
          const want = collect.padded - collect.got;
          const n = Math.min(want, pending.length);
          collect.chunks.push(pending.subarray(0, n));
          collect.got += n;
          pending = pending.subarray(n);
          if (collect.got < collect.padded) break;
          const data = Buffer.concat(collect.chunks).subarray(0, collect.size);
          const kind = collect.kind;
          collect = undefined;
          if (kind === 'manifest') return data.toString('utf8');
          nextPath = kind === 'pax' ? (paxPath(data) ?? nextPath) : cString(data);
          continue;
        }
        if (pending.length < BLOCK) break;
        const header = pending.subarray(0, BLOCK);
        pending = pending.subarray(BLOCK);
        if (header.every((b) => b === 0)) {
          if (++zeroBlocks >= 2) return undefined;
          continue;
        }
        zeroBlocks = 0;
        if (!checksumOk(header)) throw new Error('corrupt tar header');
        const size = parseSize(header.subarray(124, 136));
        const padded = Math.ceil(size / BLOCK) * BLOCK;
        const type = String.fromCharCode(header[156] ?? 0);
        if (type === 'x' || type === 'L') {
          if (size > 64 * 1024) throw new Error('oversized extended header');
          collect = { size, padded, chunks: [], got: 0, kind: type === 'x' ? 'pax' : 'longname' };
          continue;
        }
        const entryPath = normalise(nextPath ?? headerPath(header));
        nextPath = undefined;
        if (entryPath === MANIFEST_PATH && (type === '0' || type === '\0')) {
          if (size > maxManifestBytes) throw new Error(`${MANIFEST_PATH} is larger than ${maxManifestBytes} bytes`);
          collect = { size, padded, chunks: [], got: 0, kind: 'manifest' };
          continue;
        }
        skip = padded;
      }
    }
  } finally {
    source.destroy();
    gunzip.destroy();
  }
  return undefined;
}

function cString(b: Buffer): string {
  const end = b.indexOf(0);
  return b.subarray(0, end === -1 ? b.length : end).toString('utf8');
}

function headerPath(h: Buffer): string {
  const name = cString(h.subarray(0, 100));
  const isUstar = h.subarray(257, 262).toString('latin1') === 'ustar';
  const prefix = isUstar ? cString(h.subarray(345, 500)) : '';
  return prefix ? `${prefix}/${name}` : name;
}

function normalise(p: string): string {
  return p.replace(/^(\.\/)+/, '');
}

function parseSize(field: Buffer): number {
  // GNU base-256 for sizes beyond 8 GiB; nothing we would read is that large.
  if (((field[0] ?? 0) & 0x80) !== 0) throw new Error('entry size in base-256 is too large');
  const text = cString(field).trim();
  if (!/^[0-7]*$/.test(text)) throw new Error('corrupt tar size');
  return text === '' ? 0 : parseInt(text, 8);
}

function checksumOk(h: Buffer): boolean {
  const stored = parseInt(cString(h.subarray(148, 156)).trim(), 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] ?? 0);
  return sum === stored;
}

/** The `path` record of a pax extended header (`<len> path=<value>\n`). */
function paxPath(data: Buffer): string | undefined {
  let found: string | undefined;
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    if (space === -1) break;
    const len = parseInt(data.subarray(i, space).toString('latin1'), 10);
    if (!Number.isFinite(len) || len <= 0 || i + len > data.length) break;
    const record = data.subarray(space + 1, i + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq !== -1 && record.slice(0, eq) === 'path') found = record.slice(eq + 1);
    i += len;
  }
  return found;
}
