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

/** How messages name a column and the rows: the feature task's `features.x` and SQL result, or a dataset train reads as it is. */
export interface PlanOrigin {
  column(name: string): string;
  /** e.g. "the SQL result" or "dataset://x@1": rows are counted from 1 in its order. */
  rows: string;
}

const FEATURES_KEY: PlanOrigin = { column: (name) => `features.${name}`, rows: 'the SQL result' };

export async function fitFeaturePlan(
  connection: DuckDBConnection, table: string, trainRows: string, columns: DatasetColumn[], features: Record<string, StepSpec[]>, origin: PlanOrigin = FEATURES_KEY,
): Promise<FeaturePlan> {
  const plan: FeaturePlan = { columns: [] };
  for (const [name, steps] of Object.entries(features)) {
    const column = columns.find((candidate) => candidate.name === name);
    if (!column) {
      const guess = closest(name, columns.map((candidate) => candidate.name));
      throw new TaskInputError(`features names column '${name}', which the SQL result does not have${guess ? `; did you mean '${guess}'?` : ` (columns: ${columns.map((c) => c.name).join(', ')})`}`);
    }
    plan.columns.push(await fitColumn(connection, table, trainRows, column, steps, origin));
  }
  return plan;
}

async function fitColumn(
  connection: DuckDBConnection, table: string, trainRows: string, column: DatasetColumn, steps: StepSpec[], origin: PlanOrigin,
): Promise<ColumnTransform> {
  const name = origin.column(column.name);
  const oneHot = steps.find((step) => step === 'one_hot' || (typeof step === 'object' && 'one_hot' in step));
  if (oneHot !== undefined) {
    if (steps.length > 1) throw new TaskInputError(`${name}: one_hot must be the column's only step`);
    const limit = typeof oneHot === 'object' && 'one_hot' in oneHot ? oneHot.one_hot.max_categories ?? DEFAULT_MAX_CATEGORIES : DEFAULT_MAX_CATEGORIES;
    return { kind: 'one_hot', column: column.name, categories: await topCategories(connection, table, trainRows, column.name, limit, name) };
  }
  if (!isNumericType(column.type) && column.type !== 'boolean') {
    throw new TaskInputError(`${name}: the column holds ${column.type} values; give it [one_hot] or convert it to a number in the SQL`);
  }
  let expression = `CAST(${sqlName(column.name)} AS DOUBLE)`;
  const fitted: NumericStep[] = [];
  // Statistics of the train rows' values as the earlier steps left them. An
  // infinite value has no mean or spread: it is an error naming its row (as
  // train's is), which a clip step before this one or a filter resolves.
  const stat = async (aggregate: string, step: string) => {
    const values = `(SELECT ${expression} AS x FROM ${table} WHERE ${trainRows}) WHERE x IS NOT NULL AND NOT isnan(x)`;
    const rows = await queryRows(connection, `SELECT ${aggregate} FILTER (WHERE NOT isinf(x)) AS v, count(*) FILTER (WHERE isinf(x)) AS infinite FROM ${values}`);
    if (Number(rows[0]!.infinite) > 0) {
      const first = await queryRows(connection, `SELECT n, CAST(x AS VARCHAR) AS x FROM (SELECT row_number() OVER () AS n, ${expression} AS x, ${trainRows} AS train FROM ${table})
        WHERE train AND isinf(x) ORDER BY n LIMIT 1`);
      throw new TaskInputError(`${name}: row ${first[0]!.n} of ${origin.rows} holds an infinite value (${first[0]!.x}), so ${step} cannot be fitted on the train rows; ` +
        'add a {clip: {min, max}} step before it, or filter such rows out in the SQL');
    }
    const value = rows[0]!.v;
    if (value === null || value === undefined) throw new TaskInputError(`${name}: the train rows have no values to fit ${step} on`);
    return Number(value);
  };
  for (const step of steps) {
    let next: NumericStep;
    if (step === 'standardize') {
      const [mean, std] = [await stat('avg(x)', 'standardize'), await stat('stddev_pop(x)', 'standardize')];
      // A constant column keeps its spread of zero rather than dividing by it (as scikit-learn's StandardScaler does).
      next = { op: 'scale', offset: mean, scale: std > 0 ? 1 / std : 1 };
    } else if (step === 'min_max') {
      const [min, max] = [await stat('min(x)', 'min_max'), await stat('max(x)', 'min_max')];
      next = { op: 'scale', offset: min, scale: max > min ? 1 / (max - min) : 1 };
    } else if (step === 'log') {
      const min = await stat('min(x)', 'log');
      if (min <= -1) throw new TaskInputError(`${name}: log is ln(1 + x) and needs values above -1, but the train rows hold ${min}; clip first`);
      next = { op: 'log1p' };
    } else if (typeof step === 'object' && 'impute' in step) {
      const value = typeof step.impute === 'number' ? step.impute : await stat(step.impute === 'mean' ? 'avg(x)' : 'median(x)', `impute: ${step.impute}`);
      next = { op: 'impute', value };
    } else if (typeof step === 'object' && 'clip' in step) {
      next = { op: 'clip', ...step.clip };
    } else {
      throw new TaskInputError(`${name}: unknown step ${JSON.stringify(step)}`);
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

async function topCategories(connection: DuckDBConnection, table: string, trainRows: string, column: string, limit: number, name: string): Promise<string[]> {
  const rows = await queryRows(connection, `SELECT CAST(${sqlName(column)} AS VARCHAR) AS value, count(*) AS n FROM ${table}
    WHERE ${trainRows} AND ${sqlName(column)} IS NOT NULL GROUP BY 1 ORDER BY n DESC, value LIMIT ${limit}`);
  if (rows.length === 0) throw new TaskInputError(`${name}: the train rows have no values to take categories from`);
  return rows.map((row) => String(row.value)).sort();
}
