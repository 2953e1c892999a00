// ingest: files → a checked, typed, content-addressed dataset version.
import type { DatasetColumn } from '../../engine/state/dataset-catalog.js';
import type { ColumnType } from '../data/column-types.js';
import { DatasetStore } from '../data/dataset-store.js';
import { describeColumns } from '../data/column-types.js';
import { openDuckDb, queryRows, sqlName } from '../data/duckdb.js';
import { resolveInput, TaskInputError, type TaskContext, type TaskValues } from '../runtime/task-context.js';
import { formatCheckReport, runQualityChecks, type QualityChecks } from './quality-checks.js';
import { diffColumns, formatColumnChanges } from './schema-diff.js';
import { formatOf, openSource, typedSelect, type SourceFormat, type SourceRelation } from './source-files.js';

export interface IngestParams {
  source: string;
  dataset: string;
  format?: SourceFormat;
  schema?: Record<string, ColumnType>;
  on_schema_change?: 'fail' | 'allow';
  checks?: QualityChecks;
}

export async function run(params: IngestParams, context: TaskContext): Promise<TaskValues> {
  const connection = await openDuckDb();
  const store = DatasetStore.open(context);
  try {
    const format = formatOf(params.source, params.format);
    const declared = params.schema;
    const source = await openSource(connection, resolveInput(context, params.source), format, context.workingDir, declared !== undefined && format === 'csv');
    context.progress(`read ${source.files.length} ${format} file${source.files.length === 1 ? '' : 's'} matching ${params.source}`);
    const select = await selectColumns(connection, source, params, store, context);
    await connection.run(`CREATE TEMP TABLE ingested AS SELECT ${select} FROM ${source.view} ORDER BY _source_file, _source_row`);
    await connection.run(`DROP TABLE ${source.view}`);
    const columns = describeColumns(await queryRows(connection, 'DESCRIBE ingested'));

    const results = await runQualityChecks(connection, 'ingested', columns, params.checks ?? {});
    context.progress(`quality checks:\n${formatCheckReport(results)}`);
    const failed = results.filter((result) => !result.passed);
    if (failed.length > 0) {
      const lines = failed.map((result) => `  ${result.check}${result.column ? ` ${result.column}` : ''}: ${result.detail}`);
      throw new TaskInputError(`${failed.length} quality check${failed.length === 1 ? '' : 's'} failed for ${params.source}; no dataset version was written:\n${lines.join('\n')}`);
    }

    const published = await store.publish(connection, 'SELECT * FROM ingested', {
      name: params.dataset, source: params.source, runId: context.runId, taskKey: context.taskKey,
    });
    const { version } = published;
    context.progress(`${published.created ? 'wrote' : 'unchanged:'} ${published.uri} (${version.rowCount} rows, ${version.columns.length} columns)`);
    return { dataset: published.uri, version: version.version, rows: version.rowCount, columns: version.columns.length, new_version: published.created };
  } finally {
    store.close();
    connection.closeSync();
  }
}

/** The typed SELECT list, after comparing the columns found with the declared or previous ones. */
async function selectColumns(
  connection: Awaited<ReturnType<typeof openDuckDb>>, source: SourceRelation, params: IngestParams, store: DatasetStore, context: TaskContext,
): Promise<string> {
  const allow = params.on_schema_change === 'allow';
  if (params.schema) {
    const expected: DatasetColumn[] = Object.entries(params.schema).map(([name, type]) => ({ name, type }));
    const changes = diffColumns(expected, source.found, false);
    if (changes.length > 0 && !allow) {
      throw new TaskInputError(`the columns of ${params.source} differ from the declared schema:\n${formatColumnChanges(changes, 'declared')}\n` +
        'fix the files, update schema:, or set on_schema_change: allow');
    }
    const present = Object.fromEntries(Object.entries(params.schema).filter(([name]) => source.found.some((column) => column.name === name)));
    const extra = source.found.filter((column) => !(column.name in params.schema!)).map((column) => sqlName(column.name));
    return [await typedSelect(connection, source, present, context.workingDir), ...extra].filter(Boolean).join(', ');
  }
  const previous = store.latest(params.dataset);
  if (previous) {
    const changes = diffColumns(previous.columns, source.found, true);
    if (changes.length > 0 && !allow) {
      throw new TaskInputError(`the columns of ${params.source} differ from dataset://${previous.name}@${previous.version}:\n` +
        `${formatColumnChanges(changes, `version ${previous.version}`)}\ndeclare a schema:, fix the files, or set on_schema_change: allow`);
    }
  }
  return source.found.map((column) => sqlName(column.name)).join(', ');
}
