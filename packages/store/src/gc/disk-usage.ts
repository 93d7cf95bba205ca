import type { Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/** Bytes of every file below `p` (or of `p` itself), symlinks not followed; 0 when it is gone. */
export async function diskUsage(p: string): Promise<number> {
  let st;
  try {
    st = await fs.lstat(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.isFile() ? st.size : 0;
  let items: Dirent[];
  try {
    items = await fs.readdir(p, { withFileTypes: true });
  } catch {
    return 0;
  }
  let total = 0;
  for (const item of items) total += await diskUsage(path.join(p, item.name));
  return total;
}

/** Names in a folder, or none when it does not exist. */
export async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch {
    return [];
  }
}

/** Every regular file below `dir`, absolute, symlinks neither followed nor listed. */
export async function filesBelow(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let items: Dirent[];
    try {
      items = await fs.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const item of items) {
      const abs = path.join(d, item.name);
      if (item.isDirectory()) await walk(abs);
      else if (item.isFile()) out.push(abs);
    }
  };
  await walk(dir);
  return out;
}
