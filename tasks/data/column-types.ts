// Sluice's column types, which pipelines declare, and how they map to DuckDB's.
import type { DatasetColumn } from '../../engine/state/dataset-catalog.js';

export const COLUMN_TYPES = ['integer', 'number', 'string', 'boolean', 'date', 'timestamp'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

const TO_DUCKDB: Record<ColumnType, string> = {
  integer: 'BIGINT', number: 'DOUBLE', string: 'VARCHAR', boolean: 'BOOLEAN', date: 'DATE', timestamp: 'TIMESTAMP',
};

export function duckDbType(type: ColumnType): string {
  return TO_DUCKDB[type];
}

/** Our name for a DuckDB column type; types we have no name for keep DuckDB's, lower-cased. */
export function columnTypeOf(duckDbType: string): string {
  const type = duckDbType.toUpperCase();
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/.test(type)) return 'integer';
  if (/^(FLOAT|DOUBLE|REAL)$/.test(type) || type.startsWith('DECIMAL')) return 'number';
  if (type === 'VARCHAR') return 'string';
  if (type === 'BOOLEAN') return 'boolean';
  if (type === 'DATE') return 'date';
  if (type.startsWith('TIMESTAMP')) return 'timestamp';
  return type.toLowerCase();
}

export function isNumericType(type: string): boolean {
  return type === 'integer' || type === 'number';
}

/** Columns of a query, in order, with our types. */
export function describeColumns(rows: Record<string, unknown>[]): DatasetColumn[] {
  return rows.map((row) => ({ name: String(row.column_name), type: columnTypeOf(String(row.column_type)) }));
}
