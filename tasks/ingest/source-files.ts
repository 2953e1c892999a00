// Turns an ingest source (a file or glob) into a DuckDB query over its rows,
// typed by the declared schema when there is one. Every CSV column is read
// as text first, so that a value that does not fit its declared type is
// reported with its file, row and column instead of failing the whole read.
import { extname, relative } from 'node:path';
import type { DatasetColumn } from '../../engine/state/dataset-catalog.js';
import { describeColumns, duckDbType, type ColumnType } from '../data/column-types.js';
import { queryRows, sqlName, sqlString, type DuckDBConnection } from '../data/duckdb.js';
import { TaskInputError } from '../runtime/task-context.js';
import { checkFileFormats, checkSingleColumnCsv, explainReadError } from './source-checks.js';

export type SourceFormat = 'csv' | 'jsonl' | 'parquet';

export interface SourceRelation {
  files: string[];
  /** A table with the source's rows plus `_source_file` and `_source_row` (1-based within its file). */
  view: string;
  /** The columns as found in the files, before the declared schema is applied. */
  found: DatasetColumn[];
}

const FORMATS_BY_EXTENSION: Record<string, SourceFormat> = { '.csv': 'csv', '.tsv': 'csv', '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.json': 'jsonl', '.parquet': 'parquet' };

export function formatOf(source: string, declared: SourceFormat | undefined): SourceFormat {
  if (declared) return declared;
  const format = FORMATS_BY_EXTENSION[extname(source).toLowerCase()];
  if (!format) throw new TaskInputError(`cannot tell the format of '${source}' from its extension; add format: csv, jsonl or parquet`);
  return format;
}

export async function openSource(connection: DuckDBConnection, pattern: string, format: SourceFormat, workingDir: string, textColumns: boolean): Promise<SourceRelation> {
  const files = (await queryRows(connection, `SELECT file FROM glob(${sqlString(pattern)}) ORDER BY file`)).map((row) => String(row.file));
  const shown = relative(workingDir, pattern) || pattern;
  if (files.length === 0) throw new TaskInputError(`no file matches '${shown}' (looked in ${workingDir})`);
  const list = `[${files.map(sqlString).join(', ')}]`;
  const reader = {
    csv: `read_csv(${list}, header = true, union_by_name = true, filename = '_source_file'${textColumns ? ', all_varchar = true' : ''})`,
    jsonl: `read_json(${list}, format = 'newline_delimited', union_by_name = true, filename = '_source_file')`,
    parquet: `read_parquet(${list}, union_by_name = true, filename = '_source_file')`,
  }[format];
  checkFileFormats(files, format, workingDir);
  // Read into a table here, so that every read error (a bad line far into a
  // file) is explained below, and the typed SELECT scans rows, not files.
  const view = 'source_rows';
  let found: DatasetColumn[] | undefined;
  try {
    await connection.run(`CREATE VIEW source_files AS SELECT *, row_number() OVER (PARTITION BY _source_file) AS _source_row FROM ${reader}`);
    found = describeColumns(await queryRows(connection, `DESCRIBE SELECT * EXCLUDE (_source_file, _source_row) FROM source_files`));
    if (format === 'csv') await checkSingleColumnCsv(found.map((column) => column.name), files, workingDir);
    await connection.run(`CREATE TEMP TABLE ${view} AS SELECT * FROM source_files`);
    return { files, view, found };
  } catch (error) {
    if (error instanceof TaskInputError) throw error;
    throw await explainReadError(error, files, format, shown, workingDir, found?.length);
  }
}

/**
 * The SELECT list that gives each declared column its type, after checking
 * that every value converts; the first bad values are named.
 */
export async function typedSelect(connection: DuckDBConnection, source: SourceRelation, schema: Record<string, ColumnType>, workingDir: string): Promise<string> {
  const columns = Object.entries(schema);
  for (const [column, type] of columns) {
    const name = sqlName(column);
    // A cast to BIGINT rounds 2.6 to 3: an integer must also equal itself as a double.
    const fails = type === 'integer'
      ? `TRY_CAST(${name} AS BIGINT) IS NULL OR TRY_CAST(${name} AS DOUBLE) <> CAST(TRY_CAST(${name} AS BIGINT) AS DOUBLE)`
      : `TRY_CAST(${name} AS ${duckDbType(type)}) IS NULL`;
    const bad = await queryRows(connection, `SELECT _source_file AS file, _source_row AS row, CAST(${name} AS VARCHAR) AS value
      FROM ${source.view} WHERE ${name} IS NOT NULL AND (${fails}) ORDER BY file, row LIMIT 3`);
    if (bad.length > 0) {
      const examples = bad.map((row) => `row ${row.row} of ${relative(workingDir, String(row.file))}: '${row.value}'`).join('; ');
      const hint = type === 'integer' ? ' (integer takes whole numbers only; declare it number to keep fractions)' : '';
      throw new TaskInputError(`column '${column}' is declared ${type} but has values that are not: ${examples}${hint}`);
    }
  }
  return columns.map(([column, type]) => `CAST(${sqlName(column)} AS ${duckDbType(type)}) AS ${sqlName(column)}`).join(', ');
}
