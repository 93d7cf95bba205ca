import { reportError } from './fatal.js';

/**
 * The one place that decides what goes to stdout and stderr. With --json,
 * stdout carries exactly one JSON document and nothing else, so agents can
 * parse it; human lines and progress go to stderr.
 */
export class Output {
  readonly isTTY: boolean;
  private progressShown = false;

  constructor(
    readonly json: boolean,
    private readonly stdout: NodeJS.WriteStream = process.stdout,
    private readonly stderr: NodeJS.WriteStream = process.stderr,
  ) {
    this.isTTY = Boolean(stderr.isTTY) && !process.env.CI;
  }

  /** A result line for humans (stdout); suppressed in --json mode. */
  line(text: string): void {
    if (!this.json) this.stdout.write(`${text}\n`);
  }

  /** A notice (warnings, lock waits): always stderr, so --json stdout stays clean. */
  notice(text: string): void {
    this.clearProgress();
    this.stderr.write(`${text}\n`);
  }

  warn(text: string): void {
    this.notice(`Warning: ${text}`);
  }

  /** Progress only when a human watches a TTY; overwritten in place. */
  progress(text: string): void {
    if (!this.isTTY || this.json) return;
    this.stderr.write(`\r\x1b[2K${text}`);
    this.progressShown = true;
  }

  clearProgress(): void {
    if (this.progressShown) {
      this.stderr.write('\r\x1b[2K');
      this.progressShown = false;
    }
  }

  result(doc: unknown): void {
    this.clearProgress();
    if (this.json) this.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  }

  /** Prints the error in the contract's form and returns the exit code. */
  error(err: unknown): number {
    this.clearProgress();
    return reportError(err, this.json, this.stderr);
  }
}
