import { readSettings, type Settings } from '@swamp-store/primitives';

let cached: Settings | undefined;

/**
 * The settings table (packages/primitives/src/settings.ts) read from the
 * environment once per process; everything below the CLI gets its values
 * passed in and never reads process.env for them.
 */
export function settings(): Settings {
  return (cached ??= readSettings(process.env));
}
