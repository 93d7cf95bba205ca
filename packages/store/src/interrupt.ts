import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Store } from './store.js';

function sizeSync(p: string): number {
  try {
    const st = fs.lstatSync(p);
    if (!st.isDirectory()) return st.isFile() ? st.size : 0;
    return fs.readdirSync(p).reduce((n, name) => n + sizeSync(path.join(p, name)), 0);
  } catch {
    return 0;
  }
}

function removeSync(p: string): void {
  try {
    fs.rmSync(p, { recursive: true, force: true });
  } catch {
    // Store trees are written read-only; a staging folder may need its folders made writable first.
    const chmodDirs = (d: string): void => {
      try {
        if (!fs.lstatSync(d).isDirectory()) return;
        fs.chmodSync(d, 0o755);
        for (const n of fs.readdirSync(d)) chmodDirs(path.join(d, n));
      } catch {
        // gone already
      }
    };
    chmodDirs(p);
    fs.rmSync(p, { recursive: true, force: true });
  }
}

/**
 * Called from a SIGINT/SIGTERM handler (synchronous, nothing else of this
 * process runs meanwhile): removes what this process was writing into the
 * store and that nobody else can use, found by the host and pid in its name:
 * a partial download in cacache's tmp/, a staging tree in tmp/, its temp root.
 * Returns the bytes removed. Without this they stayed until a gc.
 */
export function discardOwnWorkSync(store: Store): number {
  if (store.readOnly) return 0;
  const { layout } = store;
  const me = `${os.hostname()}-${process.pid}`;
  const ours: Array<[string, (name: string) => boolean]> = [
    // publish.ts stages trees as tmpName('tree'): `tree-<host>-<pid>-<time>-<rand>`. Not gc's `gc-*`
    // entries: a gc interrupted between moving something out and deciding to put it back must leave
    // it for the next gc, which restores or removes it under the gc lock.
    [layout.tmp, (n) => n.startsWith(`tree-${me}-`)],
    // archives.tmpPrefix: `<host>-<pid>`
    [path.join(layout.cas, 'tmp'), (n) => n.startsWith(`${me}-`)],
    // temp-roots.beginPins: `<host>-<pid>-<rand>.json` (and its `.tmp` while rewritten)
    [layout.tempRoots, (n) => n.startsWith(`${me}-`)],
  ];
  let bytes = 0;
  for (const [dir, mine] of ours) {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names.filter(mine)) {
      const abs = path.join(dir, name);
      bytes += sizeSync(abs);
      removeSync(abs);
    }
  }
  return bytes;
}
