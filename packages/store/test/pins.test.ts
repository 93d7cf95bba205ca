// A command's pins (temp-roots.ts): written without the gc lock while no gc runs,
// and under it while one does, so that gc always sees a pin it must honour.
import { spawn } from 'node:child_process';
import { watch } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beginPins, gcLockPath } from '../src/index.js';
import { listTempRoots } from '../src/temp-roots.js';
import { storeIn, tempDir } from './gc-support.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
let work: string;
beforeAll(async () => {
  work = await tempDir('pins');
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

async function pinnedDigests(root: string): Promise<string[][]> {
  return (await listTempRoots(storeIn(root))).map((e) => e.record?.digests ?? []);
}

describe('Pins.add', () => {
  it('with no gc running, pins without taking the gc lock', async () => {
    const root = path.join(work, 'quiet');
    const store = storeIn(root);
    const pins = await beginPins(store, 'test');
    // inotify on locks/: taking the gc lock makes (and releasing it renames away) a folder there.
    const seen: string[] = [];
    const watcher = watch(path.dirname(gcLockPath(store.layout)), (_event, name) => seen.push(String(name)));
    try {
      await pins.add([A, B]);
      await new Promise((r) => setTimeout(r, 100)); // events arrive asynchronously
    } finally {
      watcher.close();
    }
    expect(await pinnedDigests(root)).toEqual([[A, B]]);
    expect(seen, 'the gc lock was taken').toEqual([]);
    await pins.release();
    expect(await pinnedDigests(root)).toEqual([]);
  });

  it('while another process holds the gc lock, resolves only after that gc lets go', async () => {
    const root = path.join(work, 'busy');
    const store = storeIn(root);
    const pins = await beginPins(store, 'test');
    const gc = spawn(process.execPath, [new URL('./fixtures/gc-lock-holder.mjs', import.meta.url).pathname, path.join(root, 'store')], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const lines = createInterface({ input: gc.stdout });
      await new Promise<void>((resolve, reject) => {
        lines.once('line', (l) => (JSON.parse(l).event === 'held' ? resolve() : reject(new Error(l))));
        gc.once('exit', (code) => reject(new Error(`gc holder exited with ${code}`)));
      });
      let releaseSent = false;
      const added = pins.add([A]).then(() => releaseSent);
      // The pin's record is written before it looks at the lock, so gc may see it already; but
      // add() must not report the pin as safe while that gc may have marked without it.
      await new Promise((r) => setTimeout(r, 300));
      releaseSent = true;
      gc.stdin.write('release\n');
      expect(await added, 'add() resolved before the gc released its lock').toBe(true);
      expect(await pinnedDigests(root)).toEqual([[A]]);
    } finally {
      gc.kill();
      await pins.release();
    }
  });
});
