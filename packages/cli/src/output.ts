import { reportError } from './fatal.js';
import type { ProgressRenderer } from './progress.js';

/**
 * The one place that decides what goes to stdout and stderr. With --json,
 * stdout carries exactly one JSON document and nothing else, so agents can
 * parse it; human lines and progress go to stderr.
 */
export class Output {
  readonly isTTY: boolean;
  /** --quiet: no progress at all, also on a TTY. */
  quiet = false;
  private progressShown = false;
  private phases: ProgressRenderer | undefined;

  constructor(
    readonly json: boolean,
    private readonly stdout: NodeJS.WriteStream = process.stdout,
    private readonly stderr: NodeJS.WriteStream = process.stderr,
  ) {
    // CI is the CI systems' convention, not a setting of ours: their logs are no terminal, whatever isTTY says.
    this.isTTY = Boolean(stderr.isTTY) && !process.env.CI;
  }

  /** A result line for humans (stdout); suppressed in --json mode. */
  line(text: string): void {
    if (this.json) return;
    this.endPhaseProgress();
    this.clearProgress();
    this.stdout.write(`${text}\n`);
  }

  /** A notice (warnings, lock waits): always stderr, so --json stdout stays clean. */
  notice(text: string): void {
    this.phases?.clear();
    this.clearProgress();
    this.stderr.write(`${text}\n`);
  }

  warn(text: string): void {
    this.notice(`Warning: ${text}`);
  }

  /** Progress only when a human watches a TTY; overwritten in place. */
  progress(text: string): void {
    if (!this.showsProgress) return;
    this.phases?.clear();
    this.stderr.write(`\r\x1b[2K${text}`);
    this.progressShown = true;
  }

  get showsProgress(): boolean {
    return this.isTTY && !this.json && !this.quiet;
  }

  /**
   * Download, extract and link progress (one line per phase, see progress.ts),
   * shown only to a human on a TTY. Async: the store's listener is loaded
   * only by the commands that have such phases.
   */
  async showPhaseProgress(): Promise<void> {
    if (!this.showsProgress || this.phases) return;
    const [{ setProgressListener }, { ProgressRenderer }] = await Promise.all([import('@swamp-store/store'), import('./progress.js')]);
    const phases = new ProgressRenderer(this.stderr);
    this.phases = phases;
    setProgressListener((e) => phases.update(e));
  }

  /** Leaves the last phase's line on screen in its final state. */
  endPhaseProgress(): void {
    this.phases?.end();
  }

  clearProgress(): void {
    if (this.progressShown) {
      this.stderr.write('\r\x1b[2K');
      this.progressShown = false;
    }
  }

  result(doc: unknown): void {
    this.endPhaseProgress();
    this.clearProgress();
    if (this.json) this.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  }

  /** Prints the error in the contract's form and returns the exit code. */
  error(err: unknown): number {
    this.endPhaseProgress();
    this.clearProgress();
    return reportError(err, this.json, this.stderr);
  }
}
