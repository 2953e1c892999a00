import type { TaskTypeDefinition } from '../../engine/task-types.js';
import { columnList, datasetUri, modelReference, numberOrReference } from '../runtime/schema-parts.js';

export const evaluateDefinition: TaskTypeDefinition = {
  name: 'evaluate',
  description: 'Runs an ONNX model with onnxruntime on the test rows of a dataset and records its metrics as values, with optional gates, including beating the registered champion. Values: one per metric, passed.',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['model', 'dataset'],
    properties: {
      model: modelReference('The model to score: the path of an ONNX file, usually {{tasks.train.values.model}} (any model.onnx written by a command task works too), or a registered model, models:/<name>/<version> or models:/<name>@<alias>.'),
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
          beat: {
            type: 'object',
            additionalProperties: false,
            required: ['model'],
            description: 'Pass only if this model beats the current champion, scored on the same rows; with no champion yet it passes. Values champion, champion_<metric>, beats_champion.',
            properties: {
              model: modelReference('The champion, usually models:/<name>@champion; a model that is not registered yet or an alias that is not set means there is no champion.'),
              metric: { type: 'string', minLength: 1, description: 'The metric to compare: roc_auc (the default for classifiers), rmse (for regression) or any other; for log_loss, rmse and mae lower is better.' },
              min_delta: numberOrReference('How much better it must be (default 0: at least as good).'),
            },
          },
          on_failure: { enum: ['fail', 'continue'], default: 'fail', description: 'fail the task, or succeed with passed=false for a condition task to branch on.' },
        },
      },
    },
  },
};
