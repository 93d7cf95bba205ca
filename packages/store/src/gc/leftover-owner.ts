import os from 'node:os';
import { isProcessAlive } from '@swamp-store/primitives';

/**
 * Staging files and folders name their writer so a sweeper can tell a dead
 * writer's leftover from a live writer's work in progress (deleting the
 * latter is exactly the cacache `verify()` bug we must not repeat).
 *
 *   tmp/        `<purpose>-<host>-<pid>-<time>-<rand>`   (layout.ts `tmpName`)
 *   cas/tmp/    `<host>-<pid>-<uuid>`                    (archives.ts `tmpPrefix`)
 *   temp-roots/ `<host>-<pid>-<hex>.json.<hex>.tmp`      (temp-roots.ts)
 */
export type LeftoverKind = 'staging' | 'cas-tmp' | 'temp-root-tmp';

/** Past this age a leftover goes whatever its name says: pids get reused, hosts get renamed. */
export const LEFTOVER_MAX_AGE_MS = 24 * 60 * 60 * 1000;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function patternFor(kind: LeftoverKind, host: string): RegExp {
  const h = escapeRegExp(host);
  switch (kind) {
    case 'staging':
      return new RegExp(`-${h}-(\\d+)-\\d+-[a-z0-9]*$`);
    case 'cas-tmp':
      return new RegExp(`^${h}-(\\d+)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`);
    case 'temp-root-tmp':
      return new RegExp(`^${h}-(\\d+)-[0-9a-f]+\\.json\\.[0-9a-f]+\\.tmp$`);
  }
}

/** The pid of the process on THIS host that made `name`, or undefined when the name does not say. */
export function ownerPid(kind: LeftoverKind, name: string, host = os.hostname()): number | undefined {
  const m = patternFor(kind, host).exec(name);
  if (!m?.[1]) return undefined;
  const pid = Number(m[1]);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * True when nobody can still be writing `name`: its owner on this host is
 * dead, or it is older than a day (any host, any name).
 */
export function isAbandoned(kind: LeftoverKind, name: string, mtimeMs: number, now = Date.now()): boolean {
  if (now - mtimeMs > LEFTOVER_MAX_AGE_MS) return true;
  const pid = ownerPid(kind, name);
  if (pid === undefined) return false;
  if (pid === process.pid) return false;
  return !isProcessAlive(pid, os.hostname());
}
