/**
 * Columns are aligned as Go's tabwriter aligns kubectl's output: tables three spaces apart
 * and at least six wide, the last cell never padded, and describe's `Field:\tvalue` blocks
 * aligned only over consecutive lines that have the column.
 */
import { DESCRIBE_TAB_OPTIONS, GrowingTable, alignTabs, formatTable } from '../../../control-plane/cli/tab-writer.js';

test('tables: three spaces of padding, six at least, no trailing spaces', () => {
  expect(formatTable([
    ['NAME', 'IP', 'AGE'],
    ['web-1', 'a', '5m'],
  ])).toBe(['NAME    IP    AGE', 'web-1   a     5m', ''].join('\n'));
});

test('describe blocks: a line without a tab ends the alignment block', () => {
  const text = ['Name:\tweb', 'Annotations:\t<none>', 'Containers:', '  web:', '    Image:\tnginx', '    Restart Count:\t0', 'Events:\t<none>', ''].join('\n');
  expect(alignTabs(text, DESCRIBE_TAB_OPTIONS)).toBe(
    [
      'Name:         web',
      'Annotations:  <none>',
      'Containers:',
      '  web:',
      '    Image:          nginx',
      '    Restart Count:  0',
      'Events:             <none>',
      '',
    ].join('\n'),
  );
});

test('a growing table keeps earlier widths and widens for a wider cell', () => {
  const table = new GrowingTable();
  expect(table.format([['NAME', 'STATUS', 'AGE'], ['web', 'Pending', '0s']])).toBe('NAME   STATUS    AGE\nweb    Pending   0s\n');
  expect(table.format([['web', 'Running', '1s']])).toBe('web    Running   1s\n');
  expect(table.format([['a-much-longer-name', 'Running', '1s']])).toBe('a-much-longer-name   Running   1s\n');
});
