import { mapFsError } from '@swamp-store/primitives';
import { reportProgress } from '../progress.js';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { Parser, type ReadEntry } from 'tar';
import { StoreError } from '../errors.js';
import { MAX_MANIFEST_BYTES, parseManifest, type ExtensionManifest } from '../manifest.js';
import { ARCHIVE_ROOT, splitArchivePath } from './archive-path.js';
import { badManifest, corrupt, overLimit, showPath, unsafe } from './failures.js';
import {
  ALWAYS_CREATED_DIRS,
  MANIFEST_HEADER,
  MANIFEST_INSTALLED_PATH,
  RESERVED_ARCHIVE_DIRS,
  placeEntry,
} from './installed-form.js';
import { MAX_META_ENTRY_BYTES, maxTarStreamBytes, resolveLimits, type ExtractLimits, type ResolvedLimits } from './limits.js';
import { checkMetaBody, checkRawHeader, inspectRawHeaders } from './raw-records.js';
import { TreeWriter, type WrittenFile } from './tree-writer.js';

export interface ExtractOptions {
  /** Path of a `.tar.gz`, or a stream of its bytes. */
  source: string | NodeJS.ReadableStream;
  /** Compressed size, for the default total-bytes limit; read from the file when `source` is a path. */
  compressedSize?: number;
  /** An empty staging directory the caller created and removes on failure. */
  dest: string;
  limits?: Partial<ExtractLimits>;
  /** Refuse a manifest naming any other extension. */
  expectedName?: string;
}

export type ExtractedFile = WrittenFile;

export interface ExtractResult {
  manifest: ExtensionManifest;
  /** Every file written, sorted by path. */
  files: ExtractedFile[];
  /** Every directory created below `dest` (parents and empty ones included), sorted. */
  dirs: string[];
}

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);
const GUNZIP_CHUNK = 64 * 1024;
const READ_CHUNK = 256 * 1024;
const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
const utf8 = new TextDecoder('utf-8');

function startsWith(chunk: Buffer, magic: number[]): boolean {
  return magic.every((b, i) => chunk[i] === b);
}

/**
 * Streams a `.tar.gz` into `dest` in installed form (see installed-form.ts),
 * deciding every path itself: node-tar only parses, it never writes. Rejects
 * with a StoreError on the first hostile, oversized or broken entry; whatever
 * was written by then is inside `dest`, which the caller removes.
 */
export async function extractArchive(opts: ExtractOptions): Promise<ExtractResult> {
  let compressedSize = opts.compressedSize;
  let source: NodeJS.ReadableStream;
  if (typeof opts.source === 'string') {
    const file = opts.source;
    if (compressedSize === undefined) {
      try {
        compressedSize = (await fs.promises.stat(file)).size;
      } catch (err) {
        throw new StoreError('E_NOT_FOUND', `Cannot read the archive ${showPath(file)}.`, undefined, { cause: err });
      }
    }
    source = fs.createReadStream(file, { highWaterMark: READ_CHUNK });
  } else {
    source = opts.source;
  }
  const session = new ExtractSession(path.resolve(opts.dest), resolveLimits(opts.limits, compressedSize), opts.expectedName);
  return session.run(source);
}

/** Per-entry state for the file being received. */
type Receiving =
  | { kind: 'file'; raw: string; declared: number }
  | { kind: 'manifest'; declared: number; chunks: Buffer[]; size: number };

class ExtractSession {
  private readonly writer: TreeWriter;
  /**
   * What each archive path is, to refuse duplicates and file/directory clashes:
   * 'dir' is only implied by a deeper path (or reserved), 'dir!' and 'file' were
   * named by an entry, and a second entry for them is a duplicate.
   */
  private readonly kinds = new Map<string, 'file' | 'dir' | 'dir!'>();
  /** Directories whose whole ancestor chain is known to be directories: saves re-walking it per file. */
  private readonly dirChains = new Set<string>();
  private failure: unknown;
  private filesDone = 0;
  private entries = 0;
  private fileBytes = 0;
  private tarBytes = 0;
  private atEndMarker = false;
  private ended = false;
  private manifest: ExtensionManifest | undefined;
  private receiving: Receiving | undefined;

  constructor(
    dest: string,
    private readonly limits: ResolvedLimits,
    private readonly expectedName: string | undefined,
  ) {
    this.writer = new TreeWriter(dest);
    this.kinds.set(ARCHIVE_ROOT, 'dir');
    for (const d of RESERVED_ARCHIVE_DIRS) this.kinds.set(`${ARCHIVE_ROOT}/${d}`, 'dir');
  }

  async run(source: NodeJS.ReadableStream): Promise<ExtractResult> {
    try {
      for (const d of ALWAYS_CREATED_DIRS) this.writer.ensureDir(d);
      const parser = this.makeParser();
      await pipeline(source as Readable, zlib.createGunzip({ chunkSize: GUNZIP_CHUNK }), async (chunks: AsyncIterable<Buffer>) => {
        try {
          for await (const chunk of chunks) {
            this.acceptTarChunk(chunk);
            parser.write(chunk);
            this.throwIfFailed();
          }
          parser.end();
          this.throwIfFailed();
        } catch (err) {
          // Recorded before the pipeline tears the streams down, whose abort
          // errors would otherwise be what the pipeline reports.
          this.failure ??= err;
          throw err;
        }
      });
      this.finish();
    } catch (err) {
      this.writer.abortFile();
      throw this.classify(err);
    }
    return {
      manifest: this.manifest as ExtensionManifest,
      files: [...this.writer.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
      dirs: [...this.writer.dirs].sort(),
    };
  }

  private makeParser(): Parser {
    // strict: every node-tar warning (bad checksum, truncated entry, not a tar)
    // becomes an 'error' event instead of being skipped over.
    const parser = new Parser({ strict: true, brotli: false, zstd: false, maxMetaEntrySize: MAX_META_ENTRY_BYTES });
    inspectRawHeaders(parser, (block) => this.guard(() => checkRawHeader(block)));
    parser.on('entry', (entry: ReadEntry) => this.guard(() => this.onEntry(entry)));
    parser.on('ignoredEntry', (entry: ReadEntry) => this.guard(() => this.onIgnoredEntry(entry)));
    parser.on('meta', (meta: string) =>
      this.guard(() => {
        this.atEndMarker = false;
        checkMetaBody(meta);
      }),
    );
    parser.on('nullBlock', () => (this.atEndMarker = true));
    parser.on('eof', () => (this.atEndMarker = true));
    parser.on('error', (err: Error) => this.guard(() => {
      throw corrupt(`The archive is not a valid tar stream: ${String(err.message)}.`, err);
    }));
    parser.on('end', () => (this.ended = true));
    return parser;
  }

  /** Handlers run inside node-tar's synchronous parsing; they record the first failure instead of throwing into it. */
  private guard(fn: () => void): void {
    if (this.failure !== undefined) return;
    try {
      fn();
    } catch (err) {
      this.failure = err;
      this.writer.abortFile();
    }
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private acceptTarChunk(chunk: Buffer): void {
    if (this.tarBytes === 0 && (startsWith(chunk, GZIP_MAGIC) || startsWith(chunk, ZSTD_MAGIC))) {
      // node-tar would transparently decompress a second layer, outside our byte accounting.
      throw corrupt('The archive is compressed twice; expected one gzip layer around a tar stream.');
    }
    this.tarBytes += chunk.length;
    const max = maxTarStreamBytes(this.limits);
    if (this.tarBytes > max) throw overLimit(`The archive unpacks to more than ${max} bytes of tar data.`);
  }

  private countEntry(): void {
    this.atEndMarker = false;
    this.entries++;
    if (this.entries > this.limits.maxEntries) {
      throw overLimit(`The archive has more than ${this.limits.maxEntries} entries.`);
    }
  }

  private onIgnoredEntry(entry: ReadEntry): void {
    this.countEntry();
    if (entry.meta) throw overLimit(`The archive has an extended header larger than ${MAX_META_ENTRY_BYTES} bytes.`);
    throw unsafe(`Archive entry ${showPath(String(entry.path))} has the unsupported type ${entry.type}.`);
  }

  private onEntry(entry: ReadEntry): void {
    this.countEntry();
    const raw = String(entry.path);
    const isDir = entry.type === 'Directory';
    if (!isDir && !FILE_TYPES.has(entry.type)) {
      const what = entry.type === 'SymbolicLink' || entry.type === 'Link' ? `a ${entry.type === 'Link' ? 'hard' : 'symbolic'} link` : `of type ${entry.type}`;
      throw unsafe(`Archive entry ${showPath(raw)} is ${what}; only files and directories are allowed.`);
    }
    const where = splitArchivePath(raw, isDir, this.limits);
    if (where === null) return this.discard(entry);
    const { key, segments } = where;
    this.claim(key, segments, isDir, raw);

    const placement = placeEntry(segments.slice(1), isDir);
    if (isDir) {
      if (placement.kind === 'install') this.writer.ensureDir(placement.rel);
      else if (placement.kind === 'manifest') throw badManifest(`The archive's ${ARCHIVE_ROOT}/manifest.yaml is a directory.`);
      return this.discard(entry);
    }

    const declared = entry.size;
    if (declared > this.limits.maxFileBytes) {
      throw overLimit(`Archive entry ${showPath(raw)} is ${declared} bytes; the limit is ${this.limits.maxFileBytes}.`);
    }
    this.addFileBytes(declared);

    if (placement.kind === 'manifest') {
      if (declared > MAX_MANIFEST_BYTES) throw badManifest(`The archive's manifest.yaml is larger than ${MAX_MANIFEST_BYTES} bytes.`);
      this.receiving = { kind: 'manifest', declared, chunks: [], size: 0 };
    } else if (placement.kind === 'install') {
      this.writer.beginFile(placement.rel);
      this.receiving = { kind: 'file', raw, declared };
    } else {
      return this.discard(entry);
    }
    entry.on('data', (chunk: Buffer) => this.guard(() => this.onData(chunk)));
    entry.on('end', () => this.guard(() => this.onFileEnd()));
  }

  /** Consumes an entry's body (if any) without writing it. */
  private discard(entry: ReadEntry): void {
    entry.resume();
  }

  private addFileBytes(n: number): void {
    this.fileBytes += n;
    if (this.fileBytes > this.limits.maxTotalBytes) {
      throw overLimit(`The archive unpacks to more than ${this.limits.maxTotalBytes} bytes.`);
    }
  }

  /** Refuses duplicates and any path that needs a file to be a directory, or the reverse. */
  private claim(key: string, segments: string[], isDir: boolean, raw: string): void {
    const existing = this.kinds.get(key);
    if (existing === 'file' || existing === 'dir!') throw unsafe(`Archive entry ${showPath(raw)} appears more than once.`);
    if (existing === 'dir' && !isDir) throw unsafe(`Archive entry ${showPath(raw)} is a file where the archive has a directory.`);
    const parent = key.slice(0, Math.max(0, key.lastIndexOf('/')));
    if (parent && !this.dirChains.has(parent)) {
      let ancestor = segments[0] as string;
      for (let i = 1; i < segments.length; i++) {
        const kind = this.kinds.get(ancestor);
        if (kind === 'file') throw unsafe(`Archive entry ${showPath(raw)} needs ${showPath(ancestor)} to be a directory, but it is a file.`);
        if (kind === undefined) this.kinds.set(ancestor, 'dir');
        ancestor += `/${segments[i] as string}`;
      }
      this.dirChains.add(parent);
    }
    this.kinds.set(key, isDir ? 'dir!' : 'file');
  }

  private onData(chunk: Buffer): void {
    const r = this.receiving;
    if (!r) return;
    if (r.kind === 'manifest') {
      r.size += chunk.length;
      if (r.size > r.declared) throw corrupt("The archive's manifest.yaml is longer than its header says.");
      r.chunks.push(chunk);
      return;
    }
    // node-tar never hands over more than the header's size; checking the bytes
    // actually written keeps the file limit true even if that ever changed.
    if (this.writer.openSize + chunk.length > r.declared) {
      throw corrupt(`Archive entry ${showPath(r.raw)} is longer than its header says.`);
    }
    this.writer.write(chunk);
  }

  private onFileEnd(): void {
    const r = this.receiving;
    this.receiving = undefined;
    if (!r) return;
    if (r.kind === 'manifest') return this.acceptManifest(Buffer.concat(r.chunks, r.size), r.declared);
    if (this.writer.openSize !== r.declared) throw corrupt(`Archive entry ${showPath(r.raw)} is truncated.`);
    this.writer.endFile();
    reportProgress({ phase: 'extract', label: this.manifest?.name ?? this.expectedName ?? '', done: ++this.filesDone });
  }

  private acceptManifest(bytes: Buffer, declared: number): void {
    if (bytes.length !== declared) throw corrupt("The archive's manifest.yaml is truncated.");
    // Decoded as Swamp reads it (Deno.readTextFile: UTF-8, BOM dropped, bad bytes
    // replaced), so the installed copy is byte-identical to the one Swamp writes.
    const text = utf8.decode(bytes);
    this.manifest = parseManifest(text, this.expectedName === undefined ? {} : { expectedName: this.expectedName });
    this.writer.writeWholeFile(MANIFEST_INSTALLED_PATH, Buffer.from(MANIFEST_HEADER + text, 'utf8'));
    reportProgress({ phase: 'extract', label: this.manifest.name, done: ++this.filesDone });
  }

  private finish(): void {
    if (!this.ended || this.receiving !== undefined) throw corrupt('The archive ends in the middle of an entry.');
    if (!this.atEndMarker) throw corrupt('The archive ends without the tar end-of-archive marker; it is probably truncated.');
    if (!this.manifest) throw badManifest(`The archive has no ${ARCHIVE_ROOT}/manifest.yaml.`);
  }

  /** The first recorded failure wins; otherwise stream errors are sorted into our codes. */
  private classify(err: unknown): unknown {
    const first = this.failure ?? err;
    if (first instanceof StoreError) return first;
    const e = first as NodeJS.ErrnoException;
    if (typeof e?.code === 'string' && e.code.startsWith('Z_')) {
      return corrupt(`The archive is not valid gzip data (${e.message}).`, e);
    }
    if (e?.code === 'EINTEGRITY') {
      // cacache's read stream checks the bytes it hands us against their SRI digest.
      return new StoreError(
        'E_INTEGRITY',
        'The stored archive does not match its recorded digest.',
        "Run 'swamp-store cache verify --repair', then pull again.",
        { cause: e },
      );
    }
    if (e?.code === 'ENOENT' || e?.code === 'EISDIR') {
      return new StoreError('E_NOT_FOUND', 'Cannot read the archive.', undefined, { cause: e });
    }
    const mapped = mapFsError(e, 'extracting an archive', StoreError);
    if (mapped instanceof StoreError) return mapped;
    return new StoreError('E_STORE', `Extracting the archive failed: ${String(e?.message ?? e)}.`, undefined, { cause: e });
  }
}
