import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseManifest } from '@swamp-store/store/manifest';
import { compareCalVer, type Channel } from '../versions.js';
import { readArchiveManifest } from './read-manifest.js';

/**
 * The archives a local registry serves, read from a folder:
 *
 *   DIR/*.tar.gz        stable releases
 *   DIR/beta/*.tar.gz   beta releases
 *   DIR/rc/*.tar.gz     release candidates
 *
 * Name and version come from each archive's `extension/manifest.yaml`, never
 * from the file name. Channels nest the way users expect: `rc` sees rc and
 * stable releases, `beta` sees beta, rc and stable; stable sees only stable.
 * When one name@version sits in several channel folders, the copy in the
 * asked-for channel wins, then the more stable one.
 */
export interface CatalogEntry {
  name: string;
  version: string;
  channel: Channel;
  /** Absolute path of the archive. */
  file: string;
  /** Hex sha256 of the file bytes (Swamp's checksum). */
  sha256: string;
  size: number;
  mtimeMs: number;
  dependencies: string[];
  description?: string;
}

const CHANNEL_DIRS: ReadonlyArray<[Channel, string]> = [
  ['stable', ''],
  ['rc', 'rc'],
  ['beta', 'beta'],
];

/** Which release channels each requested channel can see, most preferred first. */
export const VISIBLE: Record<Channel, readonly Channel[]> = {
  stable: ['stable'],
  rc: ['rc', 'stable'],
  beta: ['beta', 'rc', 'stable'],
};

interface Cached {
  key: string;
  entry: CatalogEntry | undefined;
}

export class Catalog {
  private readonly cache = new Map<string, Cached>();
  private entries: CatalogEntry[] = [];
  private refreshing: Promise<CatalogEntry[]> | undefined;

  constructor(
    readonly dir: string,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /**
   * Rescans the folder; cheap when nothing changed (a readdir and a stat per
   * file, archives re-read only when size, mtime or inode changed). Concurrent
   * requests share one scan.
   */
  refresh(): Promise<CatalogEntry[]> {
    this.refreshing ??= this.scan().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  all(): readonly CatalogEntry[] {
    return this.entries;
  }

  private async scan(): Promise<CatalogEntry[]> {
    const seen = new Set<string>();
    const found: CatalogEntry[] = [];
    for (const [channel, sub] of CHANNEL_DIRS) {
      const folder = path.join(this.dir, sub);
      let names: string[];
      try {
        names = await fsp.readdir(folder);
      } catch {
        continue;
      }
      for (const fileName of names.sort()) {
        if (!fileName.endsWith('.tar.gz') && !fileName.endsWith('.tgz')) continue;
        const file = path.join(folder, fileName);
        seen.add(file);
        const entry = await this.load(file, channel);
        if (entry) found.push(entry);
      }
    }
    for (const file of this.cache.keys()) if (!seen.has(file)) this.cache.delete(file);
    this.entries = found;
    return found;
  }

  private async load(file: string, channel: Channel): Promise<CatalogEntry | undefined> {
    let st: fs.Stats;
    try {
      st = await fsp.stat(file);
    } catch {
      return undefined;
    }
    if (!st.isFile()) return undefined;
    const key = `${st.size}:${st.mtimeMs}:${st.ino}:${channel}`;
    const cached = this.cache.get(file);
    if (cached?.key === key) return cached.entry;
    let entry: CatalogEntry | undefined;
    try {
      const text = await readArchiveManifest(file);
      if (text === undefined) throw new Error('it has no extension/manifest.yaml');
      const manifest = parseManifest(text);
      const sha256 = await hashFile(file);
      entry = {
        name: manifest.name,
        version: manifest.version,
        channel,
        file,
        sha256,
        size: st.size,
        mtimeMs: st.mtimeMs,
        dependencies: manifest.dependencies,
        ...(manifest.description !== undefined && { description: manifest.description }),
      };
    } catch (err) {
      this.log(`Skipping ${file}: ${(err as Error).message}`);
    }
    this.cache.set(file, { key, entry });
    return entry;
  }
}

/** Versions of `name` visible on `channel`, newest first; per version, the preferred copy. */
export function versionsOf(entries: readonly CatalogEntry[], name: string, channel: Channel): CatalogEntry[] {
  const visible = VISIBLE[channel];
  const best = new Map<string, CatalogEntry>();
  for (const e of entries) {
    if (e.name !== name || !visible.includes(e.channel)) continue;
    const prev = best.get(e.version);
    if (!prev || visible.indexOf(e.channel) < visible.indexOf(prev.channel)) best.set(e.version, e);
  }
  return [...best.values()].sort((a, b) => compareCalVer(b.version, a.version));
}

/** name@version as `channel` asks for it; falls back to any channel, so a pinned version always resolves. */
export function findVersion(entries: readonly CatalogEntry[], name: string, version: string, channel: Channel): CatalogEntry | undefined {
  const candidates = entries.filter((e) => e.name === name && e.version === version);
  const order: Channel[] = [...VISIBLE[channel], 'stable', 'rc', 'beta'];
  return candidates.sort((a, b) => order.indexOf(a.channel) - order.indexOf(b.channel))[0];
}

async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest('hex');
}
