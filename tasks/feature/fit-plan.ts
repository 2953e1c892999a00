// Fits the declared feature transforms on the train rows: each step's
// statistics are computed on the column as the earlier steps left it, and
// the result is a FeaturePlan of constants that the ONNX graph reproduces.
import type { DatasetColumn } from '../../engine/state/dataset-catalog.js';
import { closest } from '../../engine/suggest.js';
import { isNumericType } from '../data/column-types.js';
import { queryRows, sqlName, type DuckDBConnection } from '../data/duckdb.js';
import type { ColumnTransform, FeaturePlan, NumericStep } from '../ml/model-spec.js';
import { TaskInputError } from '../runtime/task-context.js';

export type StepSpec =
  | 'standardize' | 'min_max' | 'log' | 'one_hot'
  | { impute: 'mean' | 'median' | number }
  | { clip: { min?: number; max?: number } }
  | { one_hot: { max_categories?: number } };

const DEFAULT_MAX_CATEGORIES = 50;

export async function fitFeaturePlan(
  connection: DuckDBConnection, table: string, trainRows: string, columns: DatasetColumn[], features: Record<string, StepSpec[]>,
): Promise<FeaturePlan> {
  const plan: FeaturePlan = { columns: [] };
  for (const [name, steps] of Object.entries(features)) {
    const column = columns.find((candidate) => candidate.name === name);
    if (!column) {
      const guess = closest(name, columns.map((candidate) => candidate.name));
      throw new TaskInputError(`features names column '${name}', which the SQL result does not have${guess ? `; did you mean '${guess}'?` : ` (columns: ${columns.map((c) => c.name).join(', ')})`}`);
    }
    plan.columns.push(await fitColumn(connection, table, trainRows, column, steps));
  }
  return plan;
}

async function fitColumn(connection: DuckDBConnection, table: string, trainRows: string, column: DatasetColumn, steps: StepSpec[]): Promise<ColumnTransform> {
  const oneHot = steps.find((step) => step === 'one_hot' || (typeof step === 'object' && 'one_hot' in step));
  if (oneHot !== undefined) {
    if (steps.length > 1) throw new TaskInputError(`features.${column.name}: one_hot must be the column's only step`);
    const limit = typeof oneHot === 'object' && 'one_hot' in oneHot ? oneHot.one_hot.max_categories ?? DEFAULT_MAX_CATEGORIES : DEFAULT_MAX_CATEGORIES;
    return { kind: 'one_hot', column: column.name, categories: await topCategories(connection, table, trainRows, column.name, limit) };
  }
  if (!isNumericType(column.type) && column.type !== 'boolean') {
    throw new TaskInputError(`features.${column.name}: the column holds ${column.type} values; give it [one_hot] or convert it to a number in the SQL`);
  }
  let expression = `CAST(${sqlName(column.name)} AS DOUBLE)`;
  const fitted: NumericStep[] = [];
  const stat = async (aggregate: string) => {
    const rows = await queryRows(connection, `SELECT ${aggregate} AS v FROM (SELECT ${expression} AS x FROM ${table} WHERE ${trainRows}) WHERE x IS NOT NULL AND NOT isnan(x)`);
    const value = rows[0]!.v;
    if (value === null || value === undefined) throw new TaskInputError(`features.${column.name}: the train rows have no values to fit on`);
    return Number(value);
  };
  for (const step of steps) {
    let next: NumericStep;
    if (step === 'standardize') {
      const [mean, std] = [await stat('avg(x)'), await stat('stddev_pop(x)')];
      // A constant column keeps its spread of zero rather than dividing by it (as scikit-learn's StandardScaler does).
      next = { op: 'scale', offset: mean, scale: std > 0 ? 1 / std : 1 };
    } else if (step === 'min_max') {
      const [min, max] = [await stat('min(x)'), await stat('max(x)')];
      next = { op: 'scale', offset: min, scale: max > min ? 1 / (max - min) : 1 };
    } else if (step === 'log') {
      const min = await stat('min(x)');
      if (min <= -1) throw new TaskInputError(`features.${column.name}: log is ln(1 + x) and needs values above -1, but the train rows hold ${min}; clip first`);
      next = { op: 'log1p' };
    } else if (typeof step === 'object' && 'impute' in step) {
      const value = typeof step.impute === 'number' ? step.impute : await stat(step.impute === 'mean' ? 'avg(x)' : 'median(x)');
      next = { op: 'impute', value };
    } else if (typeof step === 'object' && 'clip' in step) {
      next = { op: 'clip', ...step.clip };
    } else {
      throw new TaskInputError(`features.${column.name}: unknown step ${JSON.stringify(step)}`);
    }
    fitted.push(next);
    expression = applyStepSql(expression, next);
  }
  return { kind: 'numeric', column: column.name, steps: fitted };
}

/** The SQL of a fitted step, so that the next step is fitted on its output. NULL (missing) stays missing until imputed. */
function applyStepSql(x: string, step: NumericStep): string {
  switch (step.op) {
    case 'impute': return `(CASE WHEN ${x} IS NULL OR isnan(${x}) THEN ${step.value} ELSE ${x} END)`;
    case 'clip': {
      let clipped = x;
      if (step.min !== undefined) clipped = `greatest(${clipped}, ${step.min})`;
      if (step.max !== undefined) clipped = `least(${clipped}, ${step.max})`;
      return `(CASE WHEN ${x} IS NULL THEN NULL ELSE ${clipped} END)`;
    }
    case 'log1p': return `ln(1 + ${x})`;
    case 'scale': return `((${x} - ${step.offset}) * ${step.scale})`;
  }
}

async function topCategories(connection: DuckDBConnection, table: string, trainRows: string, column: string, limit: number): Promise<string[]> {
  const rows = await queryRows(connection, `SELECT CAST(${sqlName(column)} AS VARCHAR) AS value, count(*) AS n FROM ${table}
    WHERE ${trainRows} AND ${sqlName(column)} IS NOT NULL GROUP BY 1 ORDER BY n DESC, value LIMIT ${limit}`);
  if (rows.length === 0) throw new TaskInputError(`features.${column}: the train rows have no values to take categories from`);
  return rows.map((row) => String(row.value)).sort();
}
