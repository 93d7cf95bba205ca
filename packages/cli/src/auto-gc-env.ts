import { settings } from './settings.js';

/**
 * The switch for automatic gc (SWAMP_STORE_AUTO_GC in the settings table), kept
 * apart from auto-gc.ts so that a pull with it off (the default) never loads
 * that module: every pull pays for what it loads.
 */
export function autoGcEnabled(): boolean {
  return settings().autoGc;
}
