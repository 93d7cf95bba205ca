import type { Parser } from 'tar';
import { corrupt, unsafe } from './failures.js';

/*
 * node-tar decodes names by cutting them at the first NUL, in the ustar fields
 * and in pax records alike. `extension/a.ts\0../../x` would silently become
 * `extension/a.ts`: harmless for us, but a different file than another tool may
 * show a reviewer, and exactly the "silently rewritten" name we promise to
 * refuse. So we look at the raw bytes before node-tar decodes them.
 */

const BLOCK = 512;
const USTAR_MAGIC = Buffer.from('ustar\u000000', 'latin1');

type HeaderHook = (chunk: Buffer, position: number) => void;

/** node-tar keeps header parsing in a symbol-named method; we find it by its description. */
function findConsumeHeader(parser: Parser): symbol | undefined {
  let proto: object | null = Object.getPrototypeOf(parser) as object | null;
  while (proto) {
    const sym = Object.getOwnPropertySymbols(proto).find((s) => s.description === 'consumeHeader');
    if (sym) return sym;
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  return undefined;
}

/**
 * Runs `inspect` on every raw 512-byte header block before node-tar decodes it.
 * Returns false when this node-tar has no such method (the hostile-archive tests
 * then fail, which is how an upgrade that breaks this would be noticed).
 */
export function inspectRawHeaders(parser: Parser, inspect: (block: Buffer) => void): boolean {
  const sym = findConsumeHeader(parser);
  if (!sym) return false;
  const target = parser as unknown as Record<symbol, HeaderHook>;
  const original = target[sym];
  if (typeof original !== 'function') return false;
  target[sym] = function (this: unknown, chunk: Buffer, position: number) {
    inspect(chunk.subarray(position, position + BLOCK));
    original.call(this, chunk, position);
  };
  return true;
}

/** True when a NUL-terminated field has anything but NULs after its terminator. */
function hasBytesAfterNul(block: Buffer, start: number, length: number): boolean {
  const end = start + length;
  const nul = block.indexOf(0, start);
  if (nul < 0 || nul >= end) return false;
  for (let i = nul + 1; i < end; i++) if (block[i] !== 0) return true;
  return false;
}

/** Refuses a header whose name, link name or ustar prefix hides bytes behind a NUL. */
export function checkRawHeader(block: Buffer): void {
  if (block.length < BLOCK) return;
  let allZero = true;
  for (let i = 0; i < BLOCK; i++) {
    if (block[i] !== 0) {
      allZero = false;
      break;
    }
  }
  if (allZero) return;
  if (hasBytesAfterNul(block, 0, 100)) throw unsafe('An archive entry has a NUL byte inside its name.');
  if (hasBytesAfterNul(block, 157, 100)) throw unsafe('An archive entry has a NUL byte inside its link name.');
  if (block.subarray(257, 265).equals(USTAR_MAGIC)) {
    // The same rule node-tar decodes by: a non-NUL byte 475 means a full 155-byte
    // prefix, otherwise 130 bytes of prefix followed by atime and ctime.
    const prefixLength = block[475] !== 0 ? 155 : 130;
    if (hasBytesAfterNul(block, 345, prefixLength)) throw unsafe('An archive entry has a NUL byte inside its name prefix.');
  }
}

/**
 * Checks the body of a pax extended header (`<len> <key>=<value>\n` records) or a
 * GNU long name, as node-tar reports it in its 'meta' event. node-tar drops pax
 * records it cannot parse and cuts values at NUL; we refuse both instead.
 */
export function checkMetaBody(meta: string): void {
  if (!/^\d+ /.test(meta)) {
    // A GNU long name or link name: the name and one terminating NUL.
    if (meta.replace(/\0+$/, '').includes('\0')) throw unsafe('An archive entry has a NUL byte inside its long name.');
    return;
  }
  const bytes = Buffer.from(meta, 'utf8');
  let pos = 0;
  while (pos < bytes.length) {
    const space = bytes.indexOf(0x20, pos);
    const lenText = space < 0 ? '' : bytes.toString('latin1', pos, space);
    const len = /^\d{1,7}$/.test(lenText) ? Number(lenText) : NaN;
    if (!Number.isFinite(len) || len <= lenText.length + 1 || pos + len > bytes.length || bytes[pos + len - 1] !== 0x0a) {
      throw corrupt('An archive has a malformed pax extended header.');
    }
    const record = bytes.subarray(space + 1, pos + len - 1);
    const eq = record.indexOf(0x3d);
    if (eq <= 0) throw corrupt('An archive has a malformed pax extended header.');
    // Only names matter to us; other values (xattrs, SELinux labels) may be binary.
    const key = record.toString('utf8', 0, eq);
    if (key === 'path' || key === 'linkpath') {
      const value = record.subarray(eq + 1);
      if (value.includes(0)) throw unsafe(`An archive entry has a NUL byte inside its pax ${key}.`);
      if (value.includes(0x0a)) throw unsafe(`An archive entry has a newline inside its pax ${key}.`);
    }
    pos += len;
  }
}
