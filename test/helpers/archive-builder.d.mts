/// <reference types="node" />
import type { Readable } from 'node:stream';

export type RawEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

/** One tar entry, written byte for byte: nothing is normalised or checked. */
export interface RawEntry {
  /** Written verbatim as UTF-8 (NUL and control characters included); > 100 bytes goes to a pax (or GNU, see longName) record. */
  path: string | Buffer;
  type?: RawEntryType;
  /** Raw typeflag character, overriding `type` (e.g. 'S' sparse, 'V' volume, 'D' dump dir). */
  typeflag?: string;
  content?: string | Buffer;
  /** Body of this many zero bytes, generated lazily by gzipTarStream. */
  zeros?: number;
  /** Header size field, overriding the content length (lying sizes, truncation, bombs). */
  size?: number;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  linkpath?: string | Buffer;
  devmajor?: number;
  devminor?: number;
  /** ustar prefix field, written verbatim. */
  prefix?: string | Buffer;
  /** Put the name in a pax record even when short ('pax') or in a GNU 'L' entry ('gnu'). */
  longName?: 'pax' | 'gnu';
  /** Extra pax records for this entry. */
  pax?: Record<string, string | Buffer>;
  /** Raw bytes appended to the pax header body (malformed records). */
  paxRaw?: string | Buffer;
  /** Write the pax records as a global ('g') header. */
  globalPax?: boolean;
  corruptChecksum?: boolean;
}

export interface TarOptions {
  /** Write the two zero blocks that end a tar (default true). */
  eof?: boolean;
  /** gzip level (default 6 for gzipTar, 1 for gzipTarStream). */
  level?: number;
}

export interface ExtensionSpec {
  name: string;
  version: string;
  /** Paths relative to `extension/`. */
  files?: Record<string, string | Buffer>;
  /** Modes by the same relative paths. */
  modes?: Record<string, number>;
  /** More manifest fields (an object, written as YAML) or raw YAML lines appended. */
  manifestExtra?: Record<string, unknown> | string;
  /** The whole manifest text, replacing the generated one. */
  manifestText?: string;
}

export function tarBytes(entries: RawEntry[], opts?: TarOptions): Buffer;
export function gzipTar(entries: RawEntry[], opts?: TarOptions): Buffer;
export function gzipTarStream(entries: RawEntry[], opts?: TarOptions): Readable;
export function manifestYaml(spec: ExtensionSpec): string;
export function extensionEntries(spec: ExtensionSpec): RawEntry[];
export function buildExtensionArchive(spec: ExtensionSpec, opts?: TarOptions): Buffer;
export function writeArchive(dir: string, fileName: string, buf: Buffer): Promise<string>;
