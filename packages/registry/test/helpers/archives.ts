import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/** What the shared builder (test/helpers/archive-builder.mjs) takes. */
export interface ArchiveSpec {
  name: string;
  version: string;
  files?: Record<string, string>;
  manifestExtra?: Record<string, unknown> | string;
}

interface Builder {
  buildExtensionArchive(spec: ArchiveSpec): Buffer;
}

const builderUrl = new URL('../../../../test/helpers/archive-builder.mjs', import.meta.url).href;

/** A gzip'd extension archive, built by the workspace's shared byte-exact builder. */
export async function buildArchive(spec: ArchiveSpec): Promise<Buffer> {
  const builder = (await import(builderUrl)) as Builder;
  return builder.buildExtensionArchive({ files: { 'models/a.ts': `export const v = ${JSON.stringify(spec.version)};\n` }, ...spec });
}

export interface Published extends ArchiveSpec {
  /** Subfolder of the registry dir: beta/ or rc/; stable when absent. */
  channel?: 'beta' | 'rc';
}

/** Writes archives into a registry folder; returns the sha256 of each by `name@version@channel`. */
export async function publish(dir: string, list: Published[]): Promise<Map<string, string>> {
  const sums = new Map<string, string>();
  for (const p of list) {
    const bytes = await buildArchive(p);
    const folder = p.channel ? path.join(dir, p.channel) : dir;
    await fs.mkdir(folder, { recursive: true });
    const file = `${p.name.replace(/[@/]/g, '_')}-${p.version}.tar.gz`;
    await fs.writeFile(path.join(folder, file), bytes);
    sums.set(`${p.name}@${p.version}${p.channel ? `@${p.channel}` : ''}`, sha256(bytes));
  }
  return sums;
}

export function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** Every file under the store's cacache content folder: proof that nothing (or something) was ingested. */
export async function contentFiles(storeRoot: string): Promise<string[]> {
  const root = path.join(storeRoot, 'v1', 'cas', 'content-v2');
  const out: string[] = [];
  async function walk(d: string): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(p);
    }
  }
  await walk(root);
  return out;
}
