import { MAX_NAME_LENGTH, PIPELINE_NAME_PATTERN } from '../../engine/spec/pipeline-schema.js';
import type { JsonSchema, TaskTypeDefinition } from '../../engine/task-types.js';
import { columnList, datasetUri, numberOrReference } from '../runtime/schema-parts.js';

const thresholdKeys = (scope: string): Record<string, JsonSchema> => ({
  psi: numberOrReference(`${scope}: a column drifts only when its PSI is at least this (default 0.2) …`, { minimum: 0 }),
  ks_p_value: numberOrReference(`${scope}: … and, for a numeric column, its KS p-value is below this (default 0.05).`, { minimum: 0, maximum: 1 }),
  chi2_p_value: numberOrReference(`${scope}: … and, for a categorical column, its chi-square p-value is below this (default 0.05).`, { minimum: 0, maximum: 1 }),
  null_rate: numberOrReference(`${scope}: a change of the share of missing values by at least this much (default 0.1) is drift by itself.`, { minimum: 0, maximum: 1 }),
});

export const monitorDefinition: TaskTypeDefinition = {
  name: 'monitor',
  description: 'Measures drift of a current dataset (and its predictions) against a reference: PSI, KS, Wasserstein, chi-square and null rates per column; writes an HTML report and can start another pipeline on drift. Values: drift_detected, drifted_features, share_drifted, report.',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['reference', 'current'],
    properties: {
      reference: {
        anyOf: [
          datasetUri('The reference data, usually the training data; with a train/test split only its train rows count.'),
          { type: 'object', required: ['format', 'columns'], description: 'A stored reference profile (as the model registry keeps one per model version).' },
        ],
        description: 'What the current data is compared with: a dataset URI (profiled when the task runs), a model URI such as models:/churn@champion (the profile of its training data stored when it was registered) or a profile object.',
      },
      current: datasetUri('The data to check for drift, e.g. the latest batch to score.'),
      predictions: datasetUri('Where the current predictions are, when not in the current dataset (e.g. the output of batch_infer).'),
      features: columnList('Columns to monitor; by default the reference\'s features: its feature plan, else every number, text and boolean column except ids (id, *_id), the target and _split. Each must be in the current data.'),
      prediction_column: { type: 'string', minLength: 1, description: 'A column of model outputs to compare too (prediction drift); the reference must have it.' },
      thresholds: {
        type: 'object',
        additionalProperties: false,
        description: 'When a column counts as drifted; the defaults apply to every column, `features` overrides them per column.',
        properties: {
          ...thresholdKeys('Every column'),
          features: {
            type: 'object',
            additionalProperties: { type: 'object', additionalProperties: false, properties: thresholdKeys('This column'), description: 'Thresholds for this column.' },
            description: 'Per column (feature or prediction column), thresholds that override the defaults, e.g. {age: {psi: 0.3}}.',
          },
        },
      },
      drift_share: numberOrReference('drift_detected is true when at least this share of the monitored features drifted (default: any one), or the prediction did.', { exclusiveMinimum: 0, maximum: 1 }),
      report: { type: 'string', minLength: 1, description: "Where to write the HTML report, relative to the pipeline folder; default: drift-report.html in the task's artifacts folder." },
      on_drift: {
        type: 'object',
        additionalProperties: false,
        required: ['trigger'],
        description: 'What to do when drift is detected: request a run of another pipeline, which sluice serve starts.',
        properties: {
          trigger: { type: 'string', pattern: PIPELINE_NAME_PATTERN, maxLength: MAX_NAME_LENGTH, description: 'Name of the pipeline to run (e.g. retraining).' },
          parameters: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'], description: 'Parameter value; may hold references.' }, description: "Values for that pipeline's parameters." },
        },
      },
    },
  },
};
