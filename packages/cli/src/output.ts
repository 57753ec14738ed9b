import { redact } from '@cdp/sdk';

/**
 * Values shorter than this are not masked: no real credential is that short, and masking a placeholder such
 * as "x" would garble every word containing it.
 */
const MIN_SECRET_LENGTH = 8;

/** Where a command writes: results to standard output, messages to standard error, secrets masked in both. */
export class Output {
  private readonly sources: (() => readonly string[])[] = [];

  constructor(
    private readonly stdout: NodeJS.WriteStream = process.stdout,
    private readonly stderr: NodeJS.WriteStream = process.stderr,
  ) {}

  /** Masks these values from now on (read at every write, so secrets resolved later are covered too). */
  maskSecrets(values: () => readonly string[]): void {
    this.sources.push(values);
  }

  /** Whether standard error is a terminal (progress bars) rather than a file or pipe (log lines). */
  get interactive(): boolean {
    return Boolean(this.stderr.isTTY);
  }

  line(text = ''): void {
    this.stdout.write(`${this.mask(text)}\n`);
  }

  json(value: unknown): void {
    this.line(JSON.stringify(value, null, 2));
  }

  message(text: string): void {
    this.stderr.write(`${this.mask(text)}\n`);
  }

  /** Rewrites the current line of standard error (a progress bar). */
  status(text: string): void {
    this.stderr.write(`\r\x1b[2K${this.mask(text)}`);
  }

  mask(text: string): string {
    return redact(text, this.sources.flatMap((values) => values()).filter((value) => value.length >= MIN_SECRET_LENGTH));
  }
}
