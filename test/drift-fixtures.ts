// The drift reference data (test/fixtures/drift, from SciPy; see its README):
// both samples column by column, and SciPy's results.
import { readFileSync } from 'node:fs';

const folder = new URL('./fixtures/drift/', import.meta.url);

export const expected = JSON.parse(readFileSync(new URL('expected.json', folder), 'utf8'));

function readCsv(name: string): Record<string, string[]> {
  const [header, ...rows] = readFileSync(new URL(name, folder), 'utf8').trimEnd().split('\n').map((line) => line.split(','));
  return Object.fromEntries(header!.map((column, index) => [column, rows.map((row) => row[index]!)]));
}

export const reference = readCsv('ref.csv');
export const current = readCsv('cur.csv');
