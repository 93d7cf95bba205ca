import type { ChildProcess } from 'node:child_process';

export const ROOT: string;
export const BIN: string;
export function ensureBuilt(): void;
export function tempDir(prefix?: string): string;
export function makeRepo(dir: string, opts?: { tools?: string[]; modelsDir?: string; git?: boolean }): string;
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  errorJson: any;
  ms: number;
}
export function runCli(
  args: string[],
  opts?: { cwd?: string; env?: Record<string, string | undefined>; input?: string; timeoutMs?: number; onSpawn?: (child: ChildProcess) => void; prefix?: string[] },
): Promise<CliResult>;
