/**
 * Aligns tab-separated text into columns the way Go's `text/tabwriter` does, which kubectl
 * prints through: elastic tabstops. A cell is text ended by a tab; the text after a line's
 * last tab is not part of any column. A column is aligned over a block of consecutive lines
 * that all have a cell in it, so a line with fewer cells ends the block (this is what lets
 * `describe` align `Name:`…`Annotations:` together and `Containers:` sections apart).
 */

export interface TabWriterOptions {
  /** Spaces added after the widest cell of a column. */
  readonly padding: number;
  /** Smallest column width, padding included. */
  readonly minWidth: number;
}

/** `kubectl get`'s tables: three spaces between columns, at least six wide. */
export const TABLE_TAB_OPTIONS: TabWriterOptions = { padding: 3, minWidth: 6 };

/** `kubectl describe`'s sections: two spaces after the widest cell. */
export const DESCRIBE_TAB_OPTIONS: TabWriterOptions = { padding: 2, minWidth: 0 };

/** Aligns `text` (lines separated by `\n`, cells by `\t`). */
export function alignTabs(text: string, options: TabWriterOptions): string {
  const endsWithNewline = text.endsWith('\n');
  const lines = (endsWithNewline ? text.slice(0, -1) : text).split('\n').map((line) => line.split('\t'));
  const widths: number[][] = lines.map(() => []);
  assignWidths(lines, widths, 0, lines.length, 0, options);
  const rendered = lines.map((cells, index) =>
    cells.map((cell, column) => (column < cells.length - 1 ? padCell(cell, widths[index]![column]!) : cell)).join(''),
  );
  return rendered.join('\n') + (endsWithNewline ? '\n' : '');
}

/** Sets the width of `column` for each block of lines in [from, to) that has a cell there, then recurses right. */
function assignWidths(lines: string[][], widths: number[][], from: number, to: number, column: number, options: TabWriterOptions): void {
  let line = from;
  while (line < to) {
    if (column >= lines[line]!.length - 1) {
      line++;
      continue;
    }
    const blockStart = line;
    let width = options.minWidth;
    while (line < to && column < lines[line]!.length - 1) {
      width = Math.max(width, displayWidth(lines[line]![column]!) + options.padding);
      line++;
    }
    for (let index = blockStart; index < line; index++) widths[index]![column] = width;
    assignWidths(lines, widths, blockStart, line, column + 1, options);
  }
}

function padCell(cell: string, width: number): string {
  return cell + ' '.repeat(Math.max(0, width - displayWidth(cell)));
}

/** Characters, not UTF-16 units, so that `µ` or an emoji counts once. */
function displayWidth(text: string): number {
  return [...text].length;
}

/** Aligns rows of cells as a `kubectl get` table (no trailing spaces after the last column). */
export function formatTable(rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  return alignTabs(rows.map((row) => row.join('\t')).join('\n') + '\n', TABLE_TAB_OPTIONS);
}

/**
 * A table printed a few rows at a time (`get -w`): each column keeps the widest width seen
 * so far, so later rows line up with earlier ones unless a cell is wider than any before.
 */
export class GrowingTable {
  private readonly widths: number[] = [];

  /** The rows, aligned with every row formatted before. */
  format(rows: readonly (readonly string[])[]): string {
    for (const row of rows) {
      row.forEach((cell, column) => {
        if (column === row.length - 1) return;
        this.widths[column] = Math.max(this.widths[column] ?? TABLE_TAB_OPTIONS.minWidth, displayWidth(cell) + TABLE_TAB_OPTIONS.padding);
      });
    }
    return rows
      .map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : padCell(cell, this.widths[column]!))).join('') + '\n')
      .join('');
  }
}
