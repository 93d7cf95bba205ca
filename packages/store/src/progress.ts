/**
 * Progress of the long phases (download, extract, link), reported from deep
 * inside the packages to whoever shows it, without threading a callback
 * through every signature. One listener per process: the CLI's renderer,
 * installed only when a human watches a TTY; otherwise reporting costs one
 * call to a function that returns at once.
 */
export type ProgressPhase = 'download' | 'extract' | 'link';

export interface ProgressEvent {
  phase: ProgressPhase;
  /** What the phase works on (an extension name, a URL); may be ''. */
  label: string;
  /** Bytes (download) or files (extract, link) done so far. */
  done: number;
  /** The total when known (Content-Length, files in the plan). */
  total?: number | undefined;
}

let listener: ((e: ProgressEvent) => void) | undefined;

export function setProgressListener(fn: ((e: ProgressEvent) => void) | undefined): void {
  listener = fn;
}

export function reportProgress(e: ProgressEvent): void {
  listener?.(e);
}
