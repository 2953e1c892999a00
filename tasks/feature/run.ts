// feature: SQL over input datasets → a dataset version with a train/test
// split and a fitted feature plan that models trained on it carry along.
import { readFileSync } from 'node:fs';
import { closest } from '../../engine/suggest.js';
import { DatasetStore } from '../data/dataset-store.js';
import { describeColumns } from '../data/column-types.js';
import { duckDbMessage, openDuckDb, queryRows, sqlName, sqlString } from '../data/duckdb.js';
import { resolveInput, TaskInputError, type TaskContext, type TaskValues } from '../runtime/task-context.js';
import { fitFeaturePlan, type StepSpec } from './fit-plan.js';
import { splitExpression, type SplitSpec } from './split.js';
import { SPLIT_COLUMN } from '../data/model-table.js';
import { featureNames } from '../ml/model-spec.js';

export interface FeatureParams {
  inputs: Record<string, string>;
  sql?: string;
  sql_file?: string;
  dataset: string;
  target?: string;
  features?: Record<string, StepSpec[]>;
  split?: SplitSpec;
}

export async function run(params: FeatureParams, context: TaskContext): Promise<TaskValues> {
  const connection = await openDuckDb();
  const store = DatasetStore.open(context);
  try {
    const sources: string[] = [];
    for (const [table, uri] of Object.entries(params.inputs)) {
      const version = store.resolve(uri, `inputs.${table}`);
      sources.push(`${version.name}@${version.version}`);
      await connection.run(`CREATE VIEW ${sqlName(table)} AS SELECT * FROM read_parquet(${sqlString(version.file)})`);
    }
    const sql = featureSql(params, context);
    try {
      await connection.run(`CREATE TEMP TABLE result AS ${sql}`);
    } catch (error) {
      throw new TaskInputError(`the feature SQL failed: ${duckDbMessage(error)}`);
    }
    const columns = describeColumns(await queryRows(connection, 'DESCRIBE result'));
    const names = columns.map((column) => column.name);
    if (names.includes(SPLIT_COLUMN) && params.split) throw new TaskInputError(`the SQL result already has a column ${SPLIT_COLUMN}; rename it or drop split:`);
    if (params.target !== undefined) {
      if (!names.includes(params.target)) {
        const guess = closest(params.target, names);
        throw new TaskInputError(`target '${params.target}' is not a column of the SQL result${guess ? `; did you mean '${guess}'?` : ` (columns: ${names.join(', ')})`}`);
      }
      if (params.features && params.target in params.features) throw new TaskInputError(`target '${params.target}' is also listed under features; a model must not see its own label`);
    }

    const split = params.split ? await splitExpression(connection, 'result', params.split) : undefined;
    await connection.run(`CREATE TEMP TABLE featured AS SELECT * EXCLUDE (_row)${split ? `, ${split} AS ${SPLIT_COLUMN}` : ''}
      FROM (SELECT *, row_number() OVER () - 1 AS _row FROM result)`);
    const trainRows = split ? `${SPLIT_COLUMN} = 'train'` : 'true';
    const counts = await queryRows(connection, `SELECT count(*) FILTER (WHERE ${trainRows}) AS train, count(*) AS total FROM featured`);
    const train = Number(counts[0]!.train);
    const total = Number(counts[0]!.total);
    const passThrough = params.sql === undefined && params.sql_file === undefined;
    if (total === 0) throw new TaskInputError(passThrough ? `dataset://${sources[0]} has no rows` : 'the feature SQL returned no rows');
    if (split && (train === 0 || train === total)) throw new TaskInputError(`the split leaves ${train === 0 ? 'no train' : 'no test'} rows out of ${total}; change split:`);
    const origin = { column: (name: string) => `features.${name}`, rows: passThrough ? `dataset://${sources[0]}` : 'the SQL result' };
    const plan = params.features ? await fitFeaturePlan(connection, 'featured', trainRows, columns, params.features, origin) : undefined;

    const published = await store.publish(connection, 'SELECT * FROM featured', {
      name: params.dataset, source: `feature of ${sources.join(', ')}`, featurePlan: plan, split: params.split, target: params.target,
      runId: context.runId, taskKey: context.taskKey,
    });
    context.progress(`${published.created ? 'wrote' : 'unchanged:'} ${published.uri}: ${total} rows (${train} train, ${total - train} test)` +
      (plan ? `, ${featureNames(plan).length} model features from ${plan.columns.length} columns` : ''));
    return {
      dataset: published.uri, version: published.version.version, rows: total, train_rows: train, test_rows: total - train,
      ...(plan ? { features: featureNames(plan).length } : {}),
    };
  } finally {
    store.close();
    connection.closeSync();
  }
}

function featureSql(params: FeatureParams, context: TaskContext): string {
  if (params.sql !== undefined && params.sql_file !== undefined) throw new TaskInputError('give sql or sql_file, not both');
  if (params.sql_file !== undefined) {
    const file = resolveInput(context, params.sql_file);
    try {
      return readFileSync(file, 'utf8').trim().replace(/;\s*$/, '');
    } catch (error) {
      throw new TaskInputError(`cannot read sql_file ${params.sql_file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
    }
  }
  if (params.sql !== undefined) return params.sql.trim().replace(/;\s*$/, '');
  const tables = Object.keys(params.inputs);
  if (tables.length > 1) throw new TaskInputError(`with ${tables.length} inputs, give sql: (or sql_file:) to say how they combine`);
  return `SELECT * FROM ${sqlName(tables[0]!)}`;
}
