export interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number;
  all: number[];
}
export interface InterleaveResult {
  ours: Summary;
  baseline: Summary;
  runs: number;
}
export function interleave(opts: {
  name: string;
  runs: number;
  minRuns?: number;
  deadline?: number;
  log?: (line: string) => void;
  ours: (i: number) => number | Promise<number>;
  baseline: (i: number) => number | Promise<number>;
  warmUp?: boolean;
}): Promise<InterleaveResult>;
export interface Target {
  max: number;
  text: string;
}
export function target(max: number, text?: string): Target;
export interface Row {
  name: string;
  unit: 'ms' | 'bytes';
  ours: number;
  baselineName: string;
  baseline: number;
  ratio: number | null;
  target: string | null;
  targetMax: number | null;
  met: boolean | null;
  runs: number;
  [extra: string]: unknown;
}
export function row(opts: {
  name: string;
  unit?: 'ms' | 'bytes';
  ours: number;
  baselineName: string;
  baseline: number;
  target?: Target | null;
  runs: number;
  [extra: string]: unknown;
}): Row;
