// The evaluate task's log: the confusion matrix as a table a person can
// read (the value confusion_matrix is JSON for machines).
import { shortList } from '../runtime/short-list.js';

/** Wider than this, a table no longer fits a terminal; the value still holds it. */
const MAX_PRINTED_CLASSES = 20;

export function formatConfusionMatrix(matrix: number[][], classes: string[]): string {
  if (classes.length > MAX_PRINTED_CLASSES) {
    return `confusion matrix: ${classes.length} classes (${shortList(classes)}), too many to print; see the value confusion_matrix`;
  }
  const width = Math.max(5, ...classes.map((label) => label.length), ...matrix.flat().map((count) => String(count).length));
  const header = `  ${''.padEnd(width)}  ${classes.map((label) => label.padStart(width)).join('  ')}`;
  const rows = matrix.map((counts, row) => `  ${classes[row]!.padEnd(width)}  ${counts.map((count) => String(count).padStart(width)).join('  ')}`);
  return ['confusion matrix (rows: true class, columns: predicted class):', header, ...rows].join('\n');
}
