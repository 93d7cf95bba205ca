import type { ProgressEvent } from '@swamp-store/store';
import { groupThousands as count } from './format.js';

/** Redraws at most this often: a 191 MiB download used to redraw ~3,000 times. */
export const MIN_REDRAW_MS = 100;

const MiB = 1024 * 1024;

function mib(n: number): string {
  return (n / MiB).toFixed(1);
}


/** One line of text for a phase's state. */
export function describe(e: ProgressEvent): string {
  const what = e.label ? ` ${e.label}` : '';
  if (e.phase === 'download') {
    if (e.total) return `Downloading${what}: ${mib(e.done)} of ${mib(e.total)} MiB (${Math.floor((e.done / e.total) * 100)}%)`;
    return `Downloading${what}: ${mib(e.done)} MiB`;
  }
  const unit = (n: number): string => (n === 1 ? 'file' : 'files');
  if (e.phase === 'extract') return `Extracting${what}: ${count(e.done)} ${unit(e.done)}`;
  const total = e.total ?? e.done;
  return `Linking${what}: ${count(e.done)} of ${count(total)} ${unit(total)}`;
}

export interface ProgressStream {
  write(text: string): unknown;
}

const ORDER: Record<ProgressEvent['phase'], number> = { download: 0, extract: 1, link: 2 };

/** One phase across every extension that is in it: counts add up, the label names one or counts them. */
function aggregate(phase: ProgressEvent['phase'], byLabel: Map<string, ProgressEvent>): ProgressEvent {
  let done = 0;
  let total: number | undefined = 0;
  for (const e of byLabel.values()) {
    done += e.done;
    total = total === undefined || e.total === undefined ? undefined : total + e.total;
  }
  const label = byLabel.size === 1 ? [...byLabel.keys()][0] ?? '' : `${byLabel.size} extensions`;
  return { phase, label, done, total };
}

/**
 * The progress shown on a TTY: one line per phase (download, then extract,
 * then link), redrawn in place at most 10 times a second; when a later phase
 * starts, the finished one stays on screen in its last state. Several
 * extensions in one phase share its line (their counts add up), so concurrent
 * pulls never make the line flicker between them. Nothing here decides whether
 * to show progress: the caller installs it only for a human on a TTY (never
 * with --json or --quiet).
 */
export class ProgressRenderer {
  private phase: ProgressEvent['phase'] | undefined;
  private byLabel = new Map<string, ProgressEvent>();
  private lastDraw = -Infinity;
  private drawn = false;
  /** How many times the line was (re)drawn; tests hold it to the rate limit. */
  draws = 0;

  constructor(
    private readonly stream: ProgressStream,
    private readonly now: () => number = Date.now,
  ) {}

  update(e: ProgressEvent): void {
    // An earlier phase of another extension (a download while one links) does not take the line back.
    if (this.phase !== undefined && ORDER[e.phase] < ORDER[this.phase]) return;
    if (this.phase !== e.phase) {
      if (this.phase !== undefined) this.finishLine();
      this.phase = e.phase;
      this.byLabel = new Map();
    }
    this.byLabel.set(e.label, e);
    const t = this.now();
    if (t - this.lastDraw < MIN_REDRAW_MS) return;
    this.lastDraw = t;
    this.draw();
  }

  /** Before any other stderr line: wipe the progress line; the next update draws it again. */
  clear(): void {
    if (!this.drawn) return;
    this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }

  /** The command is done (or failing): leave the last phase's line in its final state. */
  end(): void {
    if (this.phase !== undefined) this.finishLine();
    this.phase = undefined;
  }

  private draw(): void {
    if (this.phase === undefined) return;
    this.stream.write(`\r\x1b[2K${describe(aggregate(this.phase, this.byLabel))}`);
    this.drawn = true;
    this.draws++;
  }

  private finishLine(): void {
    this.draw();
    this.stream.write('\n');
    this.drawn = false;
  }
}
