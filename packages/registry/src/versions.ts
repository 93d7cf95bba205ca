import { EXTENSION_NAME_RE } from '@swamp-store/primitives';
/** Swamp's CalVer: `YYYY.MM.DD.N`. */
const CALVER = /^(\d{4})\.(\d{2})\.(\d{2})\.(\d+)$/;


export type Channel = 'stable' | 'beta' | 'rc';

export const CHANNELS: readonly Channel[] = ['stable', 'beta', 'rc'];

export function isChannel(s: unknown): s is Channel {
  return typeof s === 'string' && (CHANNELS as readonly string[]).includes(s);
}

export function isCalVer(s: string): boolean {
  // The build counter is unbounded in the format; 9 digits keeps it a safe integer.
  const m = CALVER.exec(s);
  return m !== null && (m[4] ?? '').length <= 9;
}

export function isExtensionName(s: string): boolean {
  // 214: npm's name limit, which a registry name cannot exceed either.
  return s.length <= 214 && EXTENSION_NAME_RE.test(s);
}

/** Orders CalVer strings numerically (`2026.08.20.10` is newer than `2026.08.20.9`). */
export function compareCalVer(a: string, b: string): number {
  const pa = CALVER.exec(a);
  const pb = CALVER.exec(b);
  if (!pa || !pb) return a < b ? -1 : a > b ? 1 : 0;
  for (let i = 1; i <= 4; i++) {
    const d = Number(pa[i]) - Number(pb[i]);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}
