// One temp folder per test file for the CLI tests: made (with the CLI built)
// before the file's first test, removed after its last. Its `store`, `archives`
// and repositories sit inside it by the same names in every file.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { ensureBuilt, makeRepo, tempDir } from './cli.mjs';

export interface Sandbox {
  /** The temp folder; readable from the first beforeAll on. */
  readonly root: string;
  /** `<root>/store`: the store the file's CLI runs use unless they make their own. */
  readonly store: string;
  /** `<root>/archives`: where the file writes its archives. */
  readonly archives: string;
  /** A path inside the sandbox. */
  at(...parts: string[]): string;
  /** A Swamp repository at `<root>/<name>`. */
  repo(name: string, opts?: Parameters<typeof makeRepo>[1]): string;
}

/**
 * Call at the top of a test file (its hooks run before the file's own
 * beforeAll). `build: false` for files that do not run the CLI.
 */
export function useSandbox(prefix: string, opts: { build?: boolean } = {}): Sandbox {
  let root: string | undefined;
  beforeAll(() => {
    if (opts.build !== false) ensureBuilt();
    root = tempDir(prefix);
  });
  afterAll(() => {
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });
  const at = (...parts: string[]): string => {
    if (root === undefined) throw new Error('useSandbox: the sandbox exists only from beforeAll to afterAll');
    return path.join(root, ...parts);
  };
  return {
    get root() {
      return at();
    },
    get store() {
      return at('store');
    },
    get archives() {
      return at('archives');
    },
    at,
    repo: (name, repoOpts) => makeRepo(at(name), repoOpts),
  };
}
