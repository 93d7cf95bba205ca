/**
 * Where an archive came from once a ref is resolved and its bytes are in the
 * store. Defined here, in the package both the registry (which produces it)
 * and the worktree (which consumes it) depend on, so the two cannot drift.
 */
export interface ResolvedArchive {
  sha256: string;
  /** Known before extraction for registry refs; checked against the manifest. */
  name?: string | undefined;
  version?: string | undefined;
  /** True only when this process fetched the bytes over the network. */
  downloaded: boolean;
  /** False when no published checksum was available to check the bytes against. */
  verified: boolean;
  /** The registry base URL (the lockfile's serverUrl); empty for local archives and URLs. */
  serverUrl: string;
  channel?: 'beta' | 'rc' | 'stable' | undefined;
  /** Where the bytes came from: this store, the remote cache (SWAMP_STORE_REMOTE), or a registry/URL/file. */
  source?: 'store' | 'remote' | 'registry' | undefined;
  /** True when this process uploaded the archive to the remote cache. */
  pushed?: boolean | undefined;
  /**
   * Set when the resolver already unpacked the tree (local archives and URLs are
   * unpacked at once, so a broken one leaves the store again): how that went, so a
   * pull reports `extracted`/`waited` rather than the `hit` it then finds.
   */
  treeStatus?: 'extracted' | 'waited' | 'hit' | undefined;
}
