// An ingest's quality checks, run in one pass of SQL over the typed rows,
// with a report a person can read in the task's log.
import type { DatasetColumn } from '../../engine/state/dataset-catalog.js';
import { closest } from '../../engine/suggest.js';
import { isNumericType } from '../data/column-types.js';
import { queryRows, sqlName, type DuckDBConnection } from '../data/duckdb.js';
import { numberParameter } from '../runtime/parameter-values.js';
import { TaskInputError } from '../runtime/task-context.js';

export interface QualityChecks {
  min_rows?: number | string;
  not_null?: string[];
  unique?: string[];
  min?: Record<string, number | string>;
  max?: Record<string, number | string>;
  allowed_values?: Record<string, (string | number | boolean)[]>;
}

export interface CheckResult {
  check: string;
  column?: string;
  passed: boolean;
  detail: string;
}

interface PlannedCheck {
  check: string;
  column?: string;
  /** An aggregate that counts the offending rows (or, for min_rows, all rows). */
  count: string;
  judge: (count: number) => { passed: boolean; detail: string };
  /** Offending values to show when it fails. */
  examples?: string;
}

export async function runQualityChecks(connection: DuckDBConnection, table: string, columns: DatasetColumn[], checks: QualityChecks): Promise<CheckResult[]> {
  const planned = planChecks(checks, columns, table);
  const counts = await queryRows(connection, `SELECT ${planned.map((check, i) => `${check.count} AS c${i}`).join(', ')} FROM ${table}`);
  const results: CheckResult[] = [];
  for (const [i, check] of planned.entries()) {
    const verdict = check.judge(Number(counts[0]![`c${i}`]));
    let detail = verdict.detail;
    if (!verdict.passed && check.examples) {
      const examples = await queryRows(connection, check.examples);
      detail += ` (e.g. ${examples.map((row) => String(row.value)).join(', ')})`;
    }
    results.push({ check: check.check, ...(check.column ? { column: check.column } : {}), passed: verdict.passed, detail });
  }
  return results;
}

function planChecks(checks: QualityChecks, columns: DatasetColumn[], table: string): PlannedCheck[] {
  const names = columns.map((column) => column.name);
  const column = (name: string, check: string) => {
    const found = columns.find((candidate) => candidate.name === name);
    if (!found) {
      const guess = closest(name, names);
      throw new TaskInputError(`checks.${check} names column '${name}', which the dataset does not have${guess ? `; did you mean '${guess}'?` : ` (columns: ${names.join(', ')})`}`);
    }
    if ((check === 'min' || check === 'max') && !isNumericType(found.type)) {
      throw new TaskInputError(`checks.${check} names column '${name}', which holds ${found.type} values; min and max need a numeric column ` +
        '(declare its type under schema: if its values are numbers, or use allowed_values)');
    }
    return sqlName(name);
  };
  const offending = (n: number, what: string) => ({ passed: n === 0, detail: n === 0 ? `no ${what}` : `${n} ${what}` });
  const planned: PlannedCheck[] = [];
  const minRows = checks.min_rows === undefined ? 1 : numberParameter(checks.min_rows, 'checks.min_rows');
  planned.push({ check: 'min_rows', count: 'count(*)', judge: (n) => ({ passed: n >= minRows, detail: `${n} rows${n >= minRows ? '' : `, fewer than ${minRows}`}` }) });
  for (const name of checks.not_null ?? []) {
    const c = column(name, 'not_null');
    planned.push({ check: 'not_null', column: name, count: `count(*) FILTER (WHERE ${c} IS NULL)`, judge: (n) => offending(n, 'empty values') });
  }
  for (const name of checks.unique ?? []) {
    const c = column(name, 'unique');
    planned.push({
      check: 'unique', column: name, count: `count(${c}) - count(DISTINCT ${c})`, judge: (n) => offending(n, 'repeated values'),
      examples: `SELECT ${c} AS value FROM ${table} WHERE ${c} IS NOT NULL GROUP BY ${c} HAVING count(*) > 1 ORDER BY count(*) DESC LIMIT 3`,
    });
  }
  for (const [bound, op] of [['min', '<'], ['max', '>']] as const) {
    for (const [name, raw] of Object.entries(checks[bound] ?? {})) {
      const c = column(name, bound);
      const limit = numberParameter(raw, `checks.${bound}.${name}`);
      planned.push({
        check: bound, column: name, count: `count(*) FILTER (WHERE ${c} ${op} ${limit})`, judge: (n) => offending(n, `values ${op} ${limit}`),
        examples: `SELECT DISTINCT ${c} AS value FROM ${table} WHERE ${c} ${op} ${limit} LIMIT 3`,
      });
    }
  }
  for (const [name, allowed] of Object.entries(checks.allowed_values ?? {})) {
    const c = column(name, 'allowed_values');
    const list = allowed.map((value) => `'${String(value).replaceAll("'", "''")}'`).join(', ');
    const outside = `CAST(${c} AS VARCHAR) NOT IN (${list})`;
    planned.push({
      check: 'allowed_values', column: name, count: `count(*) FILTER (WHERE ${outside})`, judge: (n) => offending(n, 'values outside the allowed ones'),
      examples: `SELECT DISTINCT ${c} AS value FROM ${table} WHERE ${outside} LIMIT 3`,
    });
  }
  return planned;
}

export function formatCheckReport(results: CheckResult[]): string {
  const rows = results.map((result) => [result.passed ? 'pass' : 'FAIL', result.check, result.column ?? '', result.detail]);
  const widths = [4, ...[1, 2].map((i) => Math.max(...rows.map((row) => row[i]!.length)))];
  return rows.map((row) => `  ${row.slice(0, 3).map((cell, i) => cell.padEnd(widths[i]!)).join('  ')}  ${row[3]}`).join('\n');
}
