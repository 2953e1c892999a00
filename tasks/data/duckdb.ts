// One in-memory DuckDB per task process: it reads CSV, JSON lines and
// Parquet, runs the feature SQL and writes Parquet. Chosen over hand-written
// readers because it is the one library that does all three formats, typed
// SQL and fast columnar reads (its vectors hand us Float64Arrays directly).
import type { DuckDBConnection } from '@duckdb/node-api';

export type { DuckDBConnection };

export async function openDuckDb(): Promise<DuckDBConnection> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  return instance.connect();
}

/** A SQL string literal. */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** A SQL identifier. */
export function sqlName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Rows of a query as plain objects (for small results: schemas, statistics). */
export async function queryRows(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowObjectsJS() as Record<string, unknown>[];
}

/** DuckDB's first line of an error, without its "LINE 1: …" excerpt of our own SQL. */
export function duckDbMessage(error: unknown): string {
  const message = (error as Error).message ?? String(error);
  return message.split('\n\nLINE ')[0]!.trim();
}
