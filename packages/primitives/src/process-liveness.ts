import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

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

/** This process's kernel start time, recorded beside its pid so a reused pid is not mistaken for it. */
export function ownProcessStart(): string | undefined {
  if (ownStart === null) {
    const stat = readProcStat(process.pid);
    ownStart = stat ? stat.start : undefined;
  }
  return ownStart;
}

/** A process as recorded by whoever wants to know later whether it still runs. */
export interface ProcessRef {
  pid: number;
  hostname: string;
  /** Kernel start time from `ownProcessStart()` when it was recorded; tells a reused pid apart. */
  processStart?: string;
}

/**
 * Whether the recorded process still runs: the one liveness check of the workspace
 * (lock holders, temp roots, leftover temp files). Only a process on this host can be
 * judged; a pid seen from another host (or another pid namespace with the same hostname,
 * which we cannot detect) says nothing, so it stays 'unknown' and only staleness applies.
 * A zombie counts as dead (it answers kill(0) but will never release anything), and so
 * does a live process whose start time differs from the recorded one (a reused pid).
 */
export function processLiveness(proc: ProcessRef): Liveness {
  if (proc.hostname !== hostname()) return 'unknown';
  if (proc.pid === process.pid) {
    // Our own pid: it is us unless the record is from an earlier process whose pid we reuse.
    const own = ownProcessStart();
    return proc.processStart && own && proc.processStart !== own ? 'dead' : 'alive';
  }
  try {
    process.kill(proc.pid, 0);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return 'dead';
    if (code !== 'EPERM') return 'unknown';
    // EPERM: a process with that pid exists but belongs to someone else; check it below.
  }
  const stat = readProcStat(proc.pid);
  if (stat === null) return 'dead';
  if (stat === undefined) return 'alive';
  // A zombie answers kill(0) but will never release anything.
  if (stat.state === 'Z' || stat.state === 'X') return 'dead';
  if (proc.processStart && proc.processStart !== stat.start) return 'dead';
  return 'alive';
}

/** True unless we can prove the process is gone (`processLiveness` says 'dead'). */
export function isProcessAlive(pid: number, host: string): boolean {
  return processLiveness({ pid, hostname: host }) !== 'dead';
}
