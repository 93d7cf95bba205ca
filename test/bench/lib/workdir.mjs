// Scratch folders for one bench run. Each measured run gets a fresh folder, and
// removal is never timed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function makeWorkDir(parent = os.tmpdir()) {
  fs.mkdirSync(parent, { recursive: true });
  return fs.mkdtempSync(path.join(parent, 'swamp-bench-'));
}

export function freshDir(parent, label) {
  return fs.mkdtempSync(path.join(parent, `${label}-`));
}

/** Store files are read-only but their folders are not, so a plain recursive rm works. */
export function removeDir(dir) {
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}
