import type { TaskTypeDefinition } from '../../engine/task-types.js';
import { COLUMN_TYPES } from '../data/column-types.js';
import { DATASET_NAME_PATTERN } from '../data/dataset-uri.js';
import { columnList, integerOrReference, numberOrReference } from '../runtime/schema-parts.js';

export const ingestDefinition: TaskTypeDefinition = {
  name: 'ingest',
  description: 'Reads CSV, JSON lines or Parquet files into a new version of a dataset, enforcing its schema and quality checks. Value: dataset.',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['source', 'dataset'],
    properties: {
      source: { type: 'string', minLength: 1, description: 'A file or glob (data/*.csv), relative to the pipeline folder.' },
      dataset: { type: 'string', pattern: DATASET_NAME_PATTERN, description: 'Name of the dataset the files become a version of.' },
      format: { enum: ['csv', 'jsonl', 'parquet'], description: 'File format; by default from the extension (.csv, .jsonl/.ndjson, .parquet).' },
      schema: {
        type: 'object',
        additionalProperties: { enum: [...COLUMN_TYPES] },
        minProperties: 1,
        description: 'Columns and their types, in order. Without it the types are inferred, and a change from the previous version is an error.',
      },
      on_schema_change: {
        enum: ['fail', 'allow'], default: 'fail',
        description: 'What to do when the files no longer match the declared schema (or, without one, the previous version): fail with a column-by-column diff, or allow.',
      },
      checks: {
        type: 'object',
        additionalProperties: false,
        description: 'Quality checks; any failure fails the task before a version is written.',
        properties: {
          min_rows: integerOrReference('At least this many rows (default 1: an empty dataset fails).', { minimum: 0 }),
          not_null: columnList('Columns that may not be empty.'),
          unique: columnList('Columns whose values must be distinct.'),
          min: { type: 'object', additionalProperties: numberOrReference('Smallest allowed value.'), description: 'Smallest allowed value per column.' },
          max: { type: 'object', additionalProperties: numberOrReference('Largest allowed value.'), description: 'Largest allowed value per column.' },
          allowed_values: {
            type: 'object',
            additionalProperties: { type: 'array', minItems: 1, items: { type: ['string', 'number', 'boolean'] } },
            description: 'The only values allowed per column (empty values are left to not_null).',
          },
        },
      },
    },
  },
};
