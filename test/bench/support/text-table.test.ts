/** The benchmarks' tables: padded columns with figures right-aligned, Markdown, figure formatting. */
import { formatFigure, markdownTable, textTable } from '../../../bench/support/text-table.js';

describe('text tables', () => {
  it('pads columns and right-aligns figures', () => {
    expect(textTable(['system', 'ops/s', 'ratio'], [['Balsa', '1,234', '0.5×'], ['etcd', '56', '–']])).toBe(
      ['system  ops/s  ratio', 'Balsa   1,234   0.5×', 'etcd       56      –'].join('\n'),
    );
  });

  it('writes Markdown, right-aligning columns of figures and escaping pipes', () => {
    expect(markdownTable(['system', 'ops/s'], [['a|b', '12'], ['c', '3.5']])).toBe(['| system | ops/s |', '| --- | ---: |', '| a\\|b | 12 |', '| c | 3.5 |'].join('\n'));
    // Empty cells do not stop a column of figures from being one; a column of nothing is text.
    expect(markdownTable(['errors', 'note'], [['0', ''], ['', '']]).split('\n')[1]).toBe('| ---: | --- |');
  });

  it('formats figures: thousands separated, small ones to four significant digits, missing as a dash', () => {
    expect(formatFigure(1234567.8)).toBe('1,234,568');
    expect(formatFigure(12.3456)).toBe('12.35');
    expect(formatFigure(0.012345)).toBe('0.01235');
    expect(formatFigure(null)).toBe('–');
    expect(formatFigure(Number.NaN)).toBe('–');
  });
});
