/** Ceilings on what one archive may unpack to; each breach is `E_ARCHIVE_LIMIT`. */
export interface ExtractLimits {
  /** Entries of any kind, directories included. */
  maxEntries: number;
  /** One file's size, checked against the header before writing and against the bytes written. */
  maxFileBytes: number;
  /** All files together. Default: max(1 GiB, 50 x the compressed size). */
  maxTotalBytes?: number;
  /** One entry's path, in UTF-8 bytes. */
  maxPathBytes: number;
}

export type ResolvedLimits = Required<ExtractLimits>;

const MIB = 1024 * 1024;

export const DEFAULT_LIMITS: Readonly<Omit<ExtractLimits, 'maxTotalBytes'>> = Object.freeze({
  maxEntries: 100_000,
  maxFileBytes: 256 * MIB,
  maxPathBytes: 1024,
});

/** Real archives compress source text 3-10x; 50x leaves room while stopping gzip bombs early. */
const MAX_EXPANSION = 50;
const MIN_TOTAL_BYTES = 1024 * MIB;

/** Most filesystems refuse longer names with ENAMETOOLONG; we refuse first, with a clear code. */
export const MAX_SEGMENT_BYTES = 255;

/** Largest pax or GNU long-name record accepted: paths are capped far below this anyway. */
export const MAX_META_ENTRY_BYTES = 64 * 1024;

/**
 * Headers, pax records and padding cost at most about this much per entry, so the
 * decompressed tar stream is bounded even when entries carry no file bytes.
 */
const TAR_OVERHEAD_PER_ENTRY = 2048 + MAX_META_ENTRY_BYTES / 16;

export function resolveLimits(partial: Partial<ExtractLimits> | undefined, compressedSize: number | undefined): ResolvedLimits {
  const maxTotalBytes =
    partial?.maxTotalBytes ?? Math.max(MIN_TOTAL_BYTES, MAX_EXPANSION * (compressedSize ?? 0));
  return {
    maxEntries: partial?.maxEntries ?? DEFAULT_LIMITS.maxEntries,
    maxFileBytes: partial?.maxFileBytes ?? DEFAULT_LIMITS.maxFileBytes,
    maxPathBytes: partial?.maxPathBytes ?? DEFAULT_LIMITS.maxPathBytes,
    maxTotalBytes,
  };
}

/** Ceiling on decompressed tar bytes: file bytes plus per-entry overhead. */
export function maxTarStreamBytes(limits: ResolvedLimits): number {
  return limits.maxTotalBytes + limits.maxEntries * TAR_OVERHEAD_PER_ENTRY + MIB;
}
