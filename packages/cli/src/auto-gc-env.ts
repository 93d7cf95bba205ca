/**
 * The switch for automatic gc, kept apart from auto-gc.ts so that a pull with
 * it off (the default) never loads that module: every pull pays for what it loads.
 */
export const AUTO_GC_ENV = 'SWAMP_STORE_AUTO_GC';

export function autoGcEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(1|true|yes|on)$/i.test(env[AUTO_GC_ENV]?.trim() ?? '');
}
