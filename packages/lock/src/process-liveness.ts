import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { HolderInfo } from './holder.js';

export type Liveness = 'alive' | 'dead' | 'unknown';

interface ProcStat {
  state: string;
  start: string;
}

/**
 * Reads the state and kernel start time of `pid` from /proc (Linux only).
 * `null` means the process does not exist; `undefined` means /proc cannot tell.
 */
function readProcStat(pid: number): ProcStat | null | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ENOENT with a mounted /proc means the pid is gone; without /proc we know nothing.
    return code === 'ENOENT' && procAvailable() ? null : undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: parse after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const start = fields[19]; // field 22 of proc(5), "starttime"
  return state && start ? { state, start } : undefined;
}

let procChecked: boolean | undefined;
function procAvailable(): boolean {
  if (procChecked === undefined) {
    try {
      readFileSync('/proc/self/stat');
      procChecked = true;
    } catch {
      procChecked = false;
    }
  }
  return procChecked;
}

let ownStart: string | undefined | null = null;

/** This process's kernel start time, recorded in the holder so a reused pid is not mistaken for it. */
export function ownProcessStart(): string | undefined {
  if (ownStart === null) {
    const stat = readProcStat(process.pid);
    ownStart = stat ? stat.start : undefined;
  }
  return ownStart;
}

/**
 * Whether the process that wrote `holder` still runs. Only a holder on this host can be
 * judged; a pid seen from another host (or another pid namespace with the same hostname,
 * which we cannot detect) says nothing, so it stays 'unknown' and only staleness applies.
 */
export function holderLiveness(holder: HolderInfo): Liveness {
  if (holder.hostname !== hostname()) return 'unknown';
  if (holder.pid === process.pid) {
    // Our own pid: it is us unless the holder was an earlier process whose pid we reuse.
    const own = ownProcessStart();
    return holder.processStart && own && holder.processStart !== own ? 'dead' : 'alive';
  }
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return 'dead';
    if (code !== 'EPERM') return 'unknown';
    // EPERM: a process with that pid exists but belongs to someone else; check it below.
  }
  const stat = readProcStat(holder.pid);
  if (stat === null) return 'dead';
  if (stat === undefined) return 'alive';
  // A zombie answers kill(0) but will never release anything.
  if (stat.state === 'Z' || stat.state === 'X') return 'dead';
  if (holder.processStart && holder.processStart !== stat.start) return 'dead';
  return 'alive';
}
