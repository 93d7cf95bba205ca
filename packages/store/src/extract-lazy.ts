import type { ExtractOptions, ExtractResult } from './extract/index.js';

/** The extractor (and node-tar) load only when an archive is actually unpacked. */
export async function extractArchive(opts: ExtractOptions): Promise<ExtractResult> {
  const extract = await import('./extract/index.js');
  return extract.extractArchive(opts);
}
