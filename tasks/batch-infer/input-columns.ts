// Which dataset columns batch_infer reads, checked before any row is: every
// column the model needs and every id column, all missing ones named at once.
import type { DatasetVersion } from '../../engine/state/dataset-catalog.js';
import { closest } from '../../engine/suggest.js';
import type { BatchColumn } from '../data/batch-reader.js';
import { isNumericType } from '../data/column-types.js';
import { SPLIT_COLUMN, type SplitChoice } from '../data/model-table.js';
import { sqlName } from '../data/duckdb.js';
import type { ModelMetadata } from '../ml/model-spec.js';
import type { OnnxModelInfo } from '../ml/onnx/index.js';
import { TaskInputError } from '../runtime/task-context.js';
import { outputColumns } from './prediction-columns.js';

/** The model's inputs as columns to read: numbers in the precision the graph takes, one-hot columns as text. */
export function modelColumns(dataset: DatasetVersion, uri: string, info: OnnxModelInfo, model: string): BatchColumn[] {
  const types = new Map(dataset.columns.map((column) => [column.name, column.type]));
  const missing = info.inputs.filter((input) => !types.has(input.name)).map((input) => input.name);
  if (missing.length > 0) {
    // A guess helps with a typo or two; with many columns missing, the data is simply another table.
    const named = missing.map((name) => {
      const guess = missing.length <= 3 ? closest(name, types.keys()) : undefined;
      return guess ? `'${name}' (did you mean '${guess}'?)` : `'${name}'`;
    });
    throw new TaskInputError(`${uri} lacks ${missing.length === 1 ? 'a column' : `${missing.length} columns`} the model ${model} needs: ${named.join(', ')}; ` +
      `its columns: ${[...types.keys()].join(', ')}`);
  }
  return info.inputs.map((input): BatchColumn => {
    const type = types.get(input.name)!;
    if (input.elementType === 'string') return { name: input.name, kind: 'text' };
    if (!isNumericType(type) && type !== 'boolean') {
      throw new TaskInputError(`column '${input.name}' of ${uri} holds ${type} values, but the model ${model} reads it as a number`);
    }
    if (input.elementType === 'float') return { name: input.name, kind: 'float' };
    if (input.elementType === 'double') return { name: input.name, kind: 'double' };
    throw new TaskInputError(`the model ${model} takes input '${input.name}' as ${input.elementType}, which batch_infer cannot feed`);
  });
}

/** The id columns, which must exist and must not clash with the columns batch_infer adds. */
export function checkIdColumns(dataset: DatasetVersion, uri: string, ids: readonly string[], metadata: ModelMetadata): void {
  const names = dataset.columns.map((column) => column.name);
  const missing = ids.filter((id) => !names.includes(id));
  if (missing.length > 0) {
    throw new TaskInputError(`id_columns: ${uri} has no column ${missing.map((id) => `'${id}'`).join(', ')}; its columns: ${names.join(', ')}`);
  }
  const added = outputColumns(metadata);
  const clash = ids.filter((id) => added.includes(id));
  if (clash.length > 0) {
    throw new TaskInputError(`id_columns: ${clash.map((id) => `'${id}'`).join(', ')} would clash with the columns batch_infer adds (${added.join(', ')}); rename it in the feature task`);
  }
}

/** The SQL condition for `split`, or undefined for every row. */
export function splitCondition(dataset: DatasetVersion, uri: string, split: SplitChoice): string | undefined {
  if (split === 'all') return undefined;
  if (!dataset.columns.some((column) => column.name === SPLIT_COLUMN)) {
    throw new TaskInputError(`split: ${split} needs a dataset split by the feature task, but ${uri} has no ${SPLIT_COLUMN} column; set split: all`);
  }
  return `${sqlName(SPLIT_COLUMN)} = '${split}'`;
}
