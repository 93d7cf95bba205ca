import { defaultStoreRoot } from '@swamp-store/store';
import type { CommandOptions } from '../main.js';
import type { Output } from '../output.js';

export async function cachePath(_args: string[], _opts: CommandOptions, out: Output): Promise<void> {
  out.line(defaultStoreRoot());
}
