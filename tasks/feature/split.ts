// The declared train/test split as a SQL expression over the 0-based row
// number `_row`, evaluated once and stored as the column `_split`.
import { queryRows, sqlName, sqlString, type DuckDBConnection } from '../data/duckdb.js';
import { numberParameter } from '../runtime/parameter-values.js';
import { TaskInputError } from '../runtime/task-context.js';

export interface SplitSpec {
  by: 'random' | 'row_index' | 'time';
  test_fraction?: number | string;
  seed?: number | string;
  modulo?: number | string;
  test_remainder?: number | string;
  column?: string;
  test_from?: string;
}


export async function splitExpression(connection: DuckDBConnection, table: string, split: SplitSpec): Promise<string> {
  const label = (isTest: string) => `CASE WHEN ${isTest} THEN 'test' ELSE 'train' END`;
  const fraction = () => {
    if (split.test_fraction === undefined) throw new TaskInputError(`split by ${split.by} needs test_fraction (e.g. 0.2)`);
    const value = numberParameter(split.test_fraction, 'split.test_fraction');
    if (value <= 0 || value >= 1) throw new TaskInputError(`split.test_fraction must be between 0 and 1, not ${value}`);
    return value;
  };
  switch (split.by) {
    case 'row_index': {
      const modulo = numberParameter(split.modulo ?? 5, 'split.modulo');
      const remainder = numberParameter(split.test_remainder ?? 0, 'split.test_remainder');
      if (remainder >= modulo) throw new TaskInputError(`split.test_remainder (${remainder}) must be less than split.modulo (${modulo})`);
      return label(`_row % ${modulo} = ${remainder}`);
    }
    case 'random': {
      // A hash of (row, seed) rather than random(): the same rows land in test on every run.
      const seed = numberParameter(split.seed ?? 0, 'split.seed');
      return label(`hash(_row, ${seed}) % 1000000 < ${Math.round(fraction() * 1_000_000)}`);
    }
    case 'time': {
      if (!split.column) throw new TaskInputError('split by time needs column: the date or timestamp column to split on');
      const column = sqlName(split.column);
      if (split.test_from !== undefined) return label(`${column} >= CAST(${sqlString(split.test_from)} AS TIMESTAMP)`);
      // One query for the edge, then a constant in the split expression.
      const rows = await queryRows(connection, `SELECT CAST(quantile_disc(${column}, ${1 - fraction()}) AS VARCHAR) AS edge, typeof(quantile_disc(${column}, 0.5)) AS type FROM ${table}`);
      const edge = rows[0]?.edge;
      if (edge === null || edge === undefined) throw new TaskInputError(`split by time: column '${split.column}' has no values`);
      return label(`${column} >= CAST(${sqlString(String(edge))} AS ${String(rows[0]!.type)})`);
    }
  }
}
