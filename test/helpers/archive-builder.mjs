// Builds .tar.gz archives byte for byte, WITHOUT node-tar, so tests can produce
// exactly the hostile entries a real attacker would (`../x`, absolute paths,
// links, devices, duplicate paths, control characters, lying sizes...). node-tar's
// packer would refuse or normalise most of these, which would make the hostile
// suite test nothing. Plain ESM with node built-ins only: bench and stress
// scripts import it without a TypeScript loader.
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import fs from 'node:fs/promises';
import path from 'node:path';

const BLOCK = 512;
const TYPEFLAGS = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
};
const MAX_OCTAL_12 = 0o77777777777;
const FIXED_MTIME = 1_786_000_000; // 2026-08-06, keeps archives reproducible

function octal(buf, off, len, value) {
  // `len - 1` octal digits then NUL, as GNU tar writes them.
  const s = Math.floor(value).toString(8).padStart(len - 1, '0');
  buf.write(s + '\0', off, len, 'ascii');
}

function bigSize(buf, off, value) {
  // base-256 (GNU) encoding for sizes a 12-byte octal field cannot hold.
  buf[off] = 0x80;
  let v = BigInt(value);
  for (let i = off + 11; i > off; i--) {
    buf[i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

function toBytes(s) {
  return Buffer.isBuffer(s) ? s : Buffer.from(String(s), 'utf8');
}

/** One 512-byte ustar header. Fields are written verbatim (NUL bytes included). */
function ustarHeader(h) {
  const buf = Buffer.alloc(BLOCK);
  toBytes(h.name).copy(buf, 0, 0, 100);
  octal(buf, 100, 8, h.mode ?? 0o644);
  octal(buf, 108, 8, h.uid ?? 1000);
  octal(buf, 116, 8, h.gid ?? 1000);
  if (h.size > MAX_OCTAL_12) bigSize(buf, 124, h.size);
  else octal(buf, 124, 12, h.size);
  octal(buf, 136, 12, h.mtime ?? FIXED_MTIME);
  buf.write(h.typeflag, 156, 1, 'latin1');
  toBytes(h.linkname ?? '').copy(buf, 157, 0, 100);
  buf.write('ustar\u000000', 257, 8, 'latin1');
  buf.write('swamp', 265, 32, 'ascii');
  buf.write('swamp', 297, 32, 'ascii');
  octal(buf, 329, 8, h.devmajor ?? 0);
  octal(buf, 337, 8, h.devminor ?? 0);
  if (h.prefix) toBytes(h.prefix).copy(buf, 345, 0, 155);
  // Checksum: computed with the checksum field itself read as eight spaces.
  buf.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += buf[i];
  buf.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  if (h.corruptChecksum) buf[148] = buf[148] === 0x31 ? 0x32 : 0x31;
  return buf;
}

/** `<len> <key>=<value>\n` where len counts its own digits. */
function paxRecord(key, value) {
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), toBytes(value), Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len), 'ascii'), body]);
}

function padding(n) {
  const rem = n % BLOCK;
  return rem === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - rem);
}

function metaEntry(typeflag, name, body) {
  return [ustarHeader({ name, typeflag, size: body.length }), body, padding(body.length)];
}

/**
 * Header blocks (and any pax / GNU long-name blocks before them) for one entry.
 * Returns { blocks: Buffer[], contentLength, declaredSize, zeros }.
 */
function entryHead(e) {
  const type = e.type ?? 'file';
  const typeflag = e.typeflag ?? TYPEFLAGS[type];
  if (typeflag === undefined) throw new Error(`unknown entry type ${type}`);
  const content = e.content === undefined ? Buffer.alloc(0) : toBytes(e.content);
  const contentLength = e.zeros ?? content.length;
  const declaredSize = e.size ?? (type === 'file' ? contentLength : 0);
  const blocks = [];
  const pax = [];
  const nameBytes = toBytes(e.path);
  // When the real name travels in a pax or GNU record, the ustar field holds a
  // plain truncated copy (up to any NUL), as real packers write it.
  const fallbackName = (b) => {
    const nul = b.indexOf(0);
    return (nul < 0 ? b : b.subarray(0, nul)).subarray(0, 99);
  };
  let name = nameBytes;
  if (nameBytes.length > 100 || e.longName === 'pax') {
    if (e.longName === 'gnu') {
      const body = Buffer.concat([nameBytes, Buffer.from([0])]);
      blocks.push(...metaEntry('L', '././@LongLink', body));
    } else {
      pax.push(paxRecord('path', nameBytes));
    }
    name = fallbackName(nameBytes);
  } else if (e.longName === 'gnu') {
    blocks.push(...metaEntry('L', '././@LongLink', Buffer.concat([nameBytes, Buffer.from([0])])));
    name = fallbackName(nameBytes);
  }
  let linkname = e.linkpath === undefined ? Buffer.alloc(0) : toBytes(e.linkpath);
  if (linkname.length > 100) {
    pax.push(paxRecord('linkpath', linkname));
    linkname = fallbackName(linkname);
  }
  for (const [k, v] of Object.entries(e.pax ?? {})) pax.push(paxRecord(k, v));
  if (e.paxRaw !== undefined) pax.push(toBytes(e.paxRaw));
  if (pax.length > 0) {
    const body = Buffer.concat(pax);
    blocks.push(...metaEntry(e.globalPax ? 'g' : 'x', '././@PaxHeader', body));
  }
  blocks.push(
    ustarHeader({
      name,
      prefix: e.prefix,
      mode: e.mode ?? (type === 'dir' ? 0o755 : 0o644),
      uid: e.uid,
      gid: e.gid,
      size: declaredSize,
      mtime: e.mtime,
      typeflag,
      linkname,
      devmajor: e.devmajor,
      devminor: e.devminor,
      corruptChecksum: e.corruptChecksum,
    }),
  );
  return { blocks, content, contentLength };
}

/** Uncompressed tar bytes for the entries, ending with two zero blocks unless `eof: false`. */
export function tarBytes(entries, opts = {}) {
  const parts = [];
  for (const e of entries) {
    const { blocks, content, contentLength } = entryHead(e);
    parts.push(...blocks);
    parts.push(e.zeros !== undefined ? Buffer.alloc(e.zeros) : content);
    parts.push(padding(contentLength));
  }
  if (opts.eof !== false) parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

export function gzipTar(entries, opts = {}) {
  return zlib.gzipSync(tarBytes(entries, opts), { level: opts.level ?? 6 });
}

/**
 * The same archive as a stream, generated lazily: `zeros` entries are produced
 * 1 MiB at a time, so a multi-GiB gzip bomb never exists in memory or on disk.
 */
export function gzipTarStream(entries, opts = {}) {
  // Small blocks are batched into ~1 MiB chunks: one gzip write per 512-byte
  // header would make a 200,000-entry archive take minutes to stream.
  const BATCH = 1 << 20;
  function* generate() {
    const zeros = Buffer.alloc(BATCH);
    let pending = [];
    let pendingBytes = 0;
    const add = (b) => {
      pending.push(b);
      pendingBytes += b.length;
    };
    const flush = () => {
      const out = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      return out;
    };
    for (const e of entries) {
      const { blocks, content, contentLength } = entryHead(e);
      for (const b of blocks) add(b);
      if (e.zeros !== undefined) {
        let left = e.zeros;
        while (left > 0) {
          const n = Math.min(left, BATCH - pendingBytes);
          add(zeros.subarray(0, n));
          left -= n;
          if (pendingBytes >= BATCH) yield flush();
        }
      } else if (content.length > 0) {
        add(content);
      }
      add(padding(contentLength));
      if (pendingBytes >= BATCH) yield flush();
    }
    if (opts.eof !== false) add(Buffer.alloc(BLOCK * 2));
    if (pendingBytes > 0) yield flush();
  }
  return Readable.from(generate(), { objectMode: false }).pipe(zlib.createGzip({ level: opts.level ?? 1 }));
}

/** Manifest YAML for a spec. Scalars are written as JSON, which is valid YAML flow syntax. */
export function manifestYaml(spec) {
  if (spec.manifestText !== undefined) return spec.manifestText;
  const lines = ['manifestVersion: 1', `name: ${JSON.stringify(spec.name)}`, `version: ${JSON.stringify(spec.version)}`];
  const extra = spec.manifestExtra;
  if (typeof extra === 'string') {
    lines.push(extra.replace(/\n$/, ''));
  } else if (extra) {
    for (const [k, v] of Object.entries(extra)) {
      if (k === 'description' && typeof v === 'string' && v.includes('\n')) {
        // A block scalar, as real manifests carry their long markdown descriptions.
        lines.push('description: |');
        for (const l of v.replace(/\n$/, '').split('\n')) lines.push(l === '' ? '' : `  ${l}`);
      } else {
        lines.push(`${k}: ${JSON.stringify(v)}`);
      }
    }
  }
  return lines.join('\n') + '\n';
}

/**
 * A valid Swamp-shaped extension: `extension/`, `extension/manifest.yaml`, then
 * the files (paths relative to `extension/`), each preceded by its parent
 * directory entries the first time that directory appears, as GNU tar orders them.
 */
export function extensionEntries(spec) {
  const entries = [{ path: 'extension/', type: 'dir' }];
  entries.push({ path: 'extension/manifest.yaml', content: manifestYaml(spec) });
  const seenDirs = new Set();
  for (const [rel, content] of Object.entries(spec.files ?? {})) {
    const segs = rel.split('/');
    for (let i = 1; i < segs.length; i++) {
      const dir = segs.slice(0, i).join('/');
      if (!seenDirs.has(dir)) {
        seenDirs.add(dir);
        entries.push({ path: `extension/${dir}/`, type: 'dir' });
      }
    }
    entries.push({ path: `extension/${rel}`, content, mode: spec.modes?.[rel] });
  }
  return entries;
}

export function buildExtensionArchive(spec, opts = {}) {
  return gzipTar(extensionEntries(spec), opts);
}

export async function writeArchive(dir, fileName, buf) {
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, fileName);
  await fs.writeFile(file, buf);
  return file;
}
