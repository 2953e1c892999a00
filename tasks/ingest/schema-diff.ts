// A column-by-column account of how the columns found in the files differ
// from the expected ones (declared, or the previous version's).
import type { DatasetColumn } from '../../engine/state/dataset-catalog.js';

export interface ColumnChange {
  column: string;
  expected?: string;
  found?: string;
}

/** Differences by name, and by type when `compareTypes`. */
export function diffColumns(expected: DatasetColumn[], found: DatasetColumn[], compareTypes: boolean): ColumnChange[] {
  const foundByName = new Map(found.map((column) => [column.name, column.type]));
  const expectedNames = new Set(expected.map((column) => column.name));
  const changes: ColumnChange[] = [];
  for (const column of expected) {
    const type = foundByName.get(column.name);
    if (type === undefined) changes.push({ column: column.name, expected: column.type });
    else if (compareTypes && type !== column.type) changes.push({ column: column.name, expected: column.type, found: type });
  }
  for (const column of found) if (!expectedNames.has(column.name)) changes.push({ column: column.name, found: column.type });
  return changes;
}

/** A table: `- col` missing, `+ col` new, `~ col` type changed. */
export function formatColumnChanges(changes: ColumnChange[], expectedLabel: string): string {
  const rows = changes.map((change) => {
    const mark = change.found === undefined ? '-' : change.expected === undefined ? '+' : '~';
    return [`${mark} ${change.column}`, change.expected ?? '(absent)', change.found ?? '(missing)'];
  });
  const header = ['  column', expectedLabel, 'found'];
  const widths = header.map((_, i) => Math.max(header[i]!.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `  ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')}`.trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
