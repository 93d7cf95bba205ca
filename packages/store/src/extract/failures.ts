import { StoreError } from '../errors.js';

// One constructor per failure class, so every refusal in extract/ carries the
// same code and remedy wording.

const UNSAFE_REMEDY = "Do not use this archive; report it to the extension's publisher.";
const LIMIT_REMEDY = "If the extension is genuine, report the archive's size to its publisher.";
const CORRUPT_REMEDY = "Download the archive again; if it stays broken, report it to the extension's publisher.";

/** JSON quoting so a hostile name cannot put control characters on a terminal. */
export function showPath(p: string): string {
  // JSON escapes C0 controls; DEL, C1 controls and bidi overrides need the same treatment.
  return JSON.stringify(p.length > 200 ? `${p.slice(0, 200)}...` : p).replace(
    /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export function unsafe(message: string): StoreError {
  return new StoreError('E_UNSAFE_ARCHIVE', message, UNSAFE_REMEDY);
}

export function overLimit(message: string): StoreError {
  return new StoreError('E_ARCHIVE_LIMIT', message, LIMIT_REMEDY);
}

export function corrupt(message: string, cause?: unknown): StoreError {
  return new StoreError('E_ARCHIVE_CORRUPT', message, CORRUPT_REMEDY, cause === undefined ? undefined : { cause });
}

export function badManifest(message: string): StoreError {
  return new StoreError('E_MANIFEST', message, "Ask the publisher to fix the manifest, or pull another version.");
}
