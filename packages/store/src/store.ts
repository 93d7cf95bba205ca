import fs from 'node:fs/promises';
import { storeReadOnly } from './store-access.js';
import { defaultStoreRoot, storeLayout, type PerUserCacheDirs, type StoreLayout } from './layout.js';
import type { ExtractLimits } from './extract/index.js';

export interface StoreOptions {
  /** Store root (the CLI passes SWAMP_STORE_DIR from its settings); defaults to the per-user cache dir (see layout.ts). */
  root?: string;
  /** The per-user default's folders (XDG_CACHE_HOME / LOCALAPPDATA from the CLI's settings); default: under the home folder. */
  cacheDirs?: PerUserCacheDirs;
  /** Extraction limits; unset fields take the defaults of extract/limits. */
  limits?: Partial<ExtractLimits>;
  /** A store this user cannot write (see store-access.ts): it serves what it holds and writes nothing. */
  readOnly?: boolean;
}

/** A handle on one store folder. Cheap to make: nothing touches the disk until used. */
export interface Store {
  readonly layout: StoreLayout;
  readonly limits: Partial<ExtractLimits>;
  readonly readOnly?: boolean;
}

export function openStore(options: StoreOptions = {}): Store {
  const root = options.root ?? defaultStoreRoot(options.cacheDirs);
  return { layout: storeLayout(root), limits: options.limits ?? {}, ...(options.readOnly ? { readOnly: true } : {}) };
}

const ensured = new Set<string>();

/** Creates the v1 folders once per process; every writer calls it before its first write. */
export async function ensureLayout(store: Store): Promise<void> {
  const { layout } = store;
  // Every writer comes through here first: in a read-only store, the first write is the point where what it holds is not enough.
  if (store.readOnly) throw storeReadOnly(layout.root);
  if (ensured.has(layout.base)) return;
  await Promise.all(
    [layout.cas, layout.trees, layout.tmp, layout.quarantine, layout.locks, layout.roots, layout.tempRoots, layout.state].map((d) =>
      fs.mkdir(d, { recursive: true }),
    ),
  );
  ensured.add(layout.base);
}
