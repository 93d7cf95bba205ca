import type { ExtensionSpec } from './archive-builder.mjs';

/** A spec for buildExtensionArchive, plus the seed it was generated from. */
export interface GeneratedSpec extends ExtensionSpec {
  files: Record<string, string>;
  manifestExtra: Record<string, unknown>;
  seed: number;
}

export interface GenerateOptions {
  name: string;
  version: string;
  /** Files of the installed extension, manifest.yaml included (default 9). */
  files?: number;
  /** Approximate total bytes (default 98,000). */
  bytes?: number;
  seed?: number;
  dependencies?: string[];
  withBundles?: boolean;
  withSkills?: boolean;
  /** Paths relative to files/, listed in the manifest's `binaries`. */
  binaries?: string[];
}

export function prng(seed: number): () => number;
export function generateExtension(opts: GenerateOptions): GeneratedSpec;
export function generateCorpus(opts: { count: number; seed?: number }): GeneratedSpec[];
export function generateHugeExtension(
  fileCount?: number,
  opts?: { name?: string; version?: string; seed?: number },
): GeneratedSpec;
export function nextVersion<T extends ExtensionSpec & { seed?: number }>(spec: T): T;
