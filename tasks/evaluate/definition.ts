import type { TaskTypeDefinition } from '../../engine/task-types.js';
import { columnList, datasetUri, numberOrReference } from '../runtime/schema-parts.js';

export const evaluateDefinition: TaskTypeDefinition = {
  name: 'evaluate',
  description: 'Runs an ONNX model with onnxruntime on the test rows of a dataset and records its metrics as values, with optional gates. Values: one per metric, passed.',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['model', 'dataset'],
    properties: {
      model: { type: 'string', minLength: 1, description: 'Path of an ONNX model, usually {{tasks.train.values.model}}; any model.onnx written by a command task works too.' },
      dataset: datasetUri('The data to score.'),
      split: { enum: ['test', 'train', 'all'], default: 'test', description: 'Which rows to score (test needs a split from the feature task).' },
      target: { type: 'string', minLength: 1, description: "The label column; by default the one the model was trained on." },
      features: columnList("For a model made outside Sluice that takes one [N, F] tensor: its feature columns in order."),
      gate: {
        type: 'object',
        additionalProperties: false,
        description: 'Bounds the metrics must meet.',
        properties: {
          min: { type: 'object', additionalProperties: numberOrReference('Smallest acceptable value.'), description: 'Per metric, e.g. {roc_auc: 0.8}.' },
          max: { type: 'object', additionalProperties: numberOrReference('Largest acceptable value.'), description: 'Per metric, e.g. {log_loss: 0.4}.' },
          on_failure: { enum: ['fail', 'continue'], default: 'fail', description: 'fail the task, or succeed with passed=false for a condition task to branch on.' },
        },
      },
    },
  },
};
