export interface WorkloadOptions {
  seed?: number;
  ops?: number;
  agents?: number;
  worktrees?: number;
  extensions?: number;
  versions?: number;
  killRate?: number;
  keep?: boolean;
  dir?: string;
  log?: (line: string) => void;
}
export interface WorkloadReport {
  seed: number;
  ops: number;
  agents: number;
  worktrees: number;
  extensions: number;
  byOp: Record<string, number>;
  gcRuns: number;
  kills: number;
  failures: { i: number; op: string; args: string; code: number | null; error: unknown }[];
  violations: string[];
  downloads: number;
  seconds: number;
  dir: string;
}
export function runWorkload(opts?: WorkloadOptions): Promise<WorkloadReport>;
export function generateRegistry(dir: string, opts: { extensions: number; versions: number; seed: number }): Map<string, string[]>;
