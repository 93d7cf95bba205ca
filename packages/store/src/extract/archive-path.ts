import { MAX_SEGMENT_BYTES, type ResolvedLimits } from './limits.js';
import { overLimit, showPath, unsafe } from './failures.js';

/** The single top-level directory of every Swamp extension archive. */
export const ARCHIVE_ROOT = 'extension';

/**
 * Splits an entry's raw path (exactly as the header or pax record spelled it)
 * into segments, refusing anything that could name a place outside the
 * archive root or that filesystems and tools read differently. Returns null
 * for a bare `./` directory entry, which some packers (`tar -C dir .`) emit.
 *
 * A leading `./` is accepted because `tar -C dir .` writes it; every other
 * `.` or empty segment is refused, because `a//b` and `a/./b` would name the
 * same file as `a/b` and slip past duplicate detection.
 */
export interface ArchivePath {
  /** The normalised path: no leading `./`, no trailing `/`. */
  key: string;
  segments: string[];
}

export function splitArchivePath(raw: string, isDir: boolean, limits: ResolvedLimits): ArchivePath | null {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) throw unsafe(`Archive entry ${showPath(raw)} has a control character in its name.`);
    if (c === 0x5c) throw unsafe(`Archive entry ${showPath(raw)} has a backslash in its name.`);
  }
  if (raw.startsWith('/')) throw unsafe(`Archive entry ${showPath(raw)} has an absolute path.`);
  if (Buffer.byteLength(raw, 'utf8') > limits.maxPathBytes) {
    throw overLimit(`Archive entry ${showPath(raw)} has a path longer than ${limits.maxPathBytes} bytes.`);
  }

  let p = raw;
  while (p.startsWith('./')) p = p.slice(2);
  if (p.endsWith('/')) {
    if (!isDir) throw unsafe(`Archive entry ${showPath(raw)} is a file whose name ends with '/'.`);
    p = p.slice(0, -1);
  }
  if (p === '' || p === '.') {
    if (isDir) return null;
    throw unsafe(`Archive entry ${showPath(raw)} is a file with no name.`);
  }

  const segments = p.split('/');
  for (const seg of segments) {
    if (seg === '..') throw unsafe(`Archive entry ${showPath(raw)} has a '..' segment.`);
    if (seg === '' || seg === '.') throw unsafe(`Archive entry ${showPath(raw)} has an empty or '.' segment.`);
    if (Buffer.byteLength(seg, 'utf8') > MAX_SEGMENT_BYTES) {
      throw overLimit(`Archive entry ${showPath(raw)} has a name segment longer than ${MAX_SEGMENT_BYTES} bytes.`);
    }
  }
  if (segments[0] !== ARCHIVE_ROOT) {
    throw unsafe(`Archive entry ${showPath(raw)} is outside the '${ARCHIVE_ROOT}/' directory.`);
  }
  if (segments.length === 1 && !isDir) {
    throw unsafe(`Archive entry ${showPath(raw)} is a file where the '${ARCHIVE_ROOT}/' directory belongs.`);
  }
  return { key: p, segments };
}
