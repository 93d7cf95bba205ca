import type lockfile from 'proper-lockfile';

let loaded: typeof lockfile | undefined;

/**
 * proper-lockfile (and graceful-fs, which it patches fs with), loaded on the
 * first lock: about 10-15 ms a CLI process answered without any lock (a no-op
 * pull or install) never pays. Used in the CLI bundle in place of
 * proper-lockfile-impl.ts.
 */
export async function loadProperLockfile(): Promise<typeof lockfile> {
  if (!loaded) {
    const mod = (await import('proper-lockfile')) as typeof lockfile & { default?: typeof lockfile };
    loaded = mod.default ?? mod;
  }
  return loaded;
}
