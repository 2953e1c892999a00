import type { TaskTypeDefinition } from '../../engine/task-types.js';
import { DATASET_NAME_PATTERN } from '../data/dataset-uri.js';
import { columnList, datasetUri, integerOrReference } from '../runtime/schema-parts.js';

export const DEFAULT_BATCH_SIZE = 65_536;

export const batchInferDefinition: TaskTypeDefinition = {
  name: 'batch_infer',
  description: 'Scores a dataset with an ONNX model in onnxruntime, in batches, and writes a predictions dataset (id columns, prediction, probability per class, model name and version). Values: dataset, file, rows, rows_per_second, model.',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['model', 'dataset', 'output'],
    properties: {
      model: { type: 'string', minLength: 1, description: 'The model: a registry URI such as models:/churn@champion (resolved once per run), or the path of a model.onnx written by the train task, e.g. {{tasks.train.values.model}}.' },
      dataset: datasetUri('The rows to score; they need every column the model reads.'),
      split: { enum: ['all', 'test', 'train'], default: 'all', description: 'Which rows to score: all, or the test or train rows of a dataset split by the feature task.' },
      id_columns: columnList('Columns copied from each scored row into its prediction, e.g. [customer_id].'),
      batch_size: integerOrReference('Rows scored at a time (65,536); memory grows with it.', { minimum: 1, maximum: 16_777_216 }),
      output: { type: 'string', pattern: DATASET_NAME_PATTERN, description: 'Name of the dataset the predictions become a version of.' },
    },
  },
};
