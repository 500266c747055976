/**
 * Tables of figures for a terminal (columns padded, numbers right-aligned) and for a
 * README (Markdown). Cells are strings already formatted by the caller.
 */

/** Whether a cell reads as a figure (right-aligned): digits with optional units, ×, ratios. */
function isFigure(cell: string): boolean {
  return /^[-+]?[\d.,]+(\s?[a-zA-Z%×/]+)?$|^[-–]$/.test(cell.trim());
}

/** Columns padded to their widest cell, two spaces apart, figures right-aligned. */
export function textTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[], header: boolean) =>
    cells
      .map((cell, i) => (!header && isFigure(cell) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers, true), ...rows.map((row) => line(row, false))].join('\n');
}

/** A Markdown table; a column whose cells are all figures (or empty) is right-aligned. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const figures = (i: number) => rows.some((row) => (row[i] ?? '') !== '') && rows.every((row) => (row[i] ?? '') === '' || isFigure(row[i]!));
  const align = headers.map((_, i) => (figures(i) ? '---:' : '---'));
  const line = (cells: readonly string[]) => `| ${cells.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(headers), line(align), ...rows.map(line)].join('\n');
}

/** 1234567.8 → "1,234,568"; below 100, two significant decimals ("12.35"). */
export function formatFigure(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '–';
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return Number(value.toPrecision(4)).toString();
}
