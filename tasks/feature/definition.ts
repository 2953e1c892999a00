import type { TaskTypeDefinition } from '../../engine/task-types.js';
import { DATASET_NAME_PATTERN } from '../data/dataset-uri.js';
import { datasetUri, integerOrReference, numberOrReference } from '../runtime/schema-parts.js';

const step = {
  description: 'A transform step: standardize, min_max, log (ln(1+x)), one_hot, or a map {impute: mean|median|<number>}, {clip: {min, max}}, {one_hot: {max_categories}}.',
  oneOf: [
    { enum: ['standardize', 'min_max', 'log', 'one_hot'] },
    { type: 'object', additionalProperties: false, required: ['impute'], properties: { impute: { anyOf: [{ enum: ['mean', 'median'] }, { type: 'number' }], description: 'Fill missing values with the train mean, median, or a number.' } } },
    {
      type: 'object', additionalProperties: false, required: ['clip'],
      properties: { clip: { type: 'object', additionalProperties: false, minProperties: 1, description: 'Limit values to [min, max].', properties: { min: { type: 'number', description: 'Smallest value kept.' }, max: { type: 'number', description: 'Largest value kept.' } } } },
    },
    {
      type: 'object', additionalProperties: false, required: ['one_hot'],
      properties: { one_hot: { type: 'object', additionalProperties: false, description: 'One feature per category.', properties: { max_categories: { type: 'integer', minimum: 1, maximum: 10000, description: 'Keep the most frequent categories (50).' } } } },
    },
  ],
};

export const featureDefinition: TaskTypeDefinition = {
  name: 'feature',
  description: 'Builds a feature dataset with DuckDB SQL over input datasets, fits declared transforms on the train split (they travel inside the model), and splits rows into train and test. Value: dataset.',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['inputs', 'dataset'],
    properties: {
      inputs: {
        type: 'object', minProperties: 1, additionalProperties: datasetUri('An input dataset.'),
        description: 'Input datasets by the table name the SQL uses, e.g. {customers: "{{tasks.ingest.values.dataset}}"}.',
        propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      },
      sql: { type: 'string', minLength: 1, description: 'A DuckDB SELECT over the inputs; give ORDER BY for a stable row order. Without sql or sql_file, the one input passes through.' },
      sql_file: { type: 'string', minLength: 1, description: 'A file holding the SQL, relative to the pipeline folder.' },
      dataset: { type: 'string', pattern: DATASET_NAME_PATTERN, description: 'Name of the dataset the result becomes a version of.' },
      target: { type: 'string', minLength: 1, description: 'The label column; train and evaluate use it unless told otherwise.' },
      features: {
        type: 'object', minProperties: 1, additionalProperties: { type: 'array', items: step },
        description: 'The model features: each column with its transform steps in order ([] for as is). Fitted on the train rows; the fitted values are baked into the exported ONNX model.',
      },
      split: {
        type: 'object', additionalProperties: false, required: ['by'],
        description: 'How rows are split into train and test (recorded as the column _split).',
        properties: {
          by: { enum: ['random', 'row_index', 'time'], description: 'random (seeded), row_index (modulo of the row number) or time (the latest rows are the test rows).' },
          test_fraction: numberOrReference('Share of rows for test (random, time).', { exclusiveMinimum: 0, exclusiveMaximum: 1 }),
          seed: integerOrReference('Seed of the random split.'),
          modulo: integerOrReference('row_index: rows whose 0-based number modulo this equals test_remainder are test rows.', { minimum: 2 }),
          test_remainder: integerOrReference('row_index: the remainder that marks test rows (default 0).', { minimum: 0 }),
          column: { type: 'string', minLength: 1, description: 'time: the date or timestamp column.' },
          test_from: { type: 'string', minLength: 1, description: 'time: rows at or after this date/time are test rows (instead of test_fraction).' },
        },
      },
    },
  },
};
