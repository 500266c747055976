/**
 * The progress of a long command (`deploy`, `promote`) as one line: on a terminal the line
 * is rewritten in place (carriage return, clear to the end of the line), elsewhere (a build
 * log, a pipe) each new text is a line of its own, printed once, with no control
 * characters, so that logs stay readable and greppable.
 */

/** Carriage return, then ANSI "erase in line" (to its end): the cursor is back at column 0 of an empty line. */
const REWRITE_LINE = '\r\u001b[K';

export interface ProgressLineOptions {
  /** Rewrite the line in place (stdout is a terminal). */
  readonly inPlace: boolean;
  /** The terminal's width: a line rewritten in place is cut to one less, since a wrapped line cannot be rewritten. */
  readonly columns?: number;
}

export class ProgressLine {
  /** The text shown last ('' before the first). */
  private shown = '';
  /** A line written in place is on screen without its newline. */
  private open = false;

  constructor(
    private readonly write: (text: string) => void,
    private readonly options: ProgressLineOptions,
  ) {}

  /** Shows `text` (one line, without its newline) unless it is the text shown last. */
  update(text: string): void {
    if (text === this.shown) return;
    this.shown = text;
    if (!this.options.inPlace) {
      this.write(`${text}\n`);
      return;
    }
    this.write(`${REWRITE_LINE}${this.fitted(text)}`);
    this.open = true;
  }

  /**
   * Replaces the progress with its last word, `text`, whole (never cut: it is what a
   * pipeline greps for) and ends the line.
   */
  complete(text: string): void {
    this.write(this.open ? `${REWRITE_LINE}${text}\n` : `${text}\n`);
    this.shown = text;
    this.open = false;
  }

  /** Ends the line written in place, if any, so that what is written next starts on a line of its own. */
  finish(): void {
    if (!this.open) return;
    this.write('\n');
    this.open = false;
  }

  private fitted(text: string): string {
    const columns = this.options.columns;
    if (columns === undefined || columns < 2 || text.length < columns) return text;
    return `${text.slice(0, columns - 2)}…`;
  }
}
