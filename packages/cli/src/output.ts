/**
 * Values shorter than this are not masked: no real credential is that short, and masking a placeholder such
 * as "x" would garble every word containing it.
 */
const MIN_SECRET_LENGTH = 8;

export type Redactor = (text: string, secrets: readonly string[]) => string;

/** Where a command writes: results to standard output, messages to standard error, secrets masked in both. */
export class Output {
  private readonly sources: (() => readonly string[])[] = [];
  private redactor?: Redactor;
  /** While a progress display owns the terminal, messages go through it so they are not drawn over. */
  private sink?: (text: string) => void;
  /** No progress on standard error (`--quiet`). */
  quiet = false;
  /** Colours on standard error (a terminal, and neither NO_COLOR nor --no-color). */
  colors = false;

  constructor(
    readonly stdout: NodeJS.WriteStream = process.stdout,
    readonly stderr: NodeJS.WriteStream = process.stderr,
  ) {}

  /** Masks these values from now on (read at every write, so secrets resolved later are covered too). */
  maskSecrets(values: () => readonly string[], redactor: Redactor): void {
    this.sources.push(values);
    this.redactor = redactor;
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
    const masked = this.mask(text);
    if (this.sink) this.sink(masked);
    else this.stderr.write(`${masked}\n`);
  }

  /** Sends messages to `sink` instead of standard error (undefined: back to standard error). */
  divertMessages(sink: ((text: string) => void) | undefined): void {
    this.sink = sink;
  }

  /** Rewrites the current line of standard error (a progress line). */
  status(text: string): void {
    this.stderr.write(`\r\x1b[2K${this.mask(text)}`);
  }

  mask(text: string): string {
    if (!this.redactor) return text;
    return this.redactor(text, this.sources.flatMap((values) => values()).filter((value) => value.length >= MIN_SECRET_LENGTH));
  }
}
