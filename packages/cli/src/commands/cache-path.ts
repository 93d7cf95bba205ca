import { storeRootFromEnv } from '../context.js';
import type { CommandOptions } from '../command-options.js';
import type { Output } from '../output.js';

export async function cachePath(_args: string[], _opts: CommandOptions, out: Output): Promise<void> {
  const dir = await storeRootFromEnv();
  out.line(dir);
  out.result({ dir });
}
