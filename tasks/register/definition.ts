import type { TaskTypeDefinition } from '../../engine/task-types.js';
import { modelReference, numberOrReference } from '../runtime/schema-parts.js';

const REFERENCE = '\\{\\{.+\\}\\}';

export const registerDefinition: TaskTypeDefinition = {
  name: 'register',
  description: 'Adds an ONNX model to the model registry as the next version of a named model, with its metrics, parameters, lineage and tags, and sets aliases such as champion. Values: name, version, uri, aliases, file.',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['model', 'name'],
    properties: {
      model: modelReference('The model to register: usually {{tasks.train.values.model}}; any ONNX file, or a registered model (models:/<name>/<version>, models:/<name>@<alias>).'),
      name: {
        type: 'string',
        pattern: `^(?:[A-Za-z0-9_.-]+|.*${REFERENCE}.*)$`,
        description: "The registered model's name: letters, digits, '_', '.' and '-'. The first registration creates it; each one adds the next version.",
      },
      metrics: {
        type: 'object',
        additionalProperties: numberOrReference('The metric\'s value, usually a reference such as {{tasks.evaluate.values.roc_auc}}.'),
        description: 'Metrics to record with the version, by name, e.g. {roc_auc: "{{tasks.evaluate.values.roc_auc}}"}.',
      },
      params: {
        type: 'object',
        description: "Training parameters to record, any keys and values; the model's algorithm and hyperparameters are recorded without asking.",
      },
      description: { type: 'string', description: 'What this version is; the first version\'s description also describes the model.' },
      tags: {
        type: 'object',
        additionalProperties: { type: 'string', description: "The tag's value." },
        description: 'Free-form labels, e.g. {team: growth, data: nightly}.',
      },
      aliases: {
        type: 'array',
        description: 'Aliases to point at the new version: a name (always set), or {alias, when} to set it only when `when` is true.',
        items: {
          anyOf: [
            { type: 'string', minLength: 1, description: 'An alias that is always set, e.g. challenger.' },
            {
              type: 'object',
              additionalProperties: false,
              required: ['alias', 'when'],
              description: 'An alias set only when `when` is true.',
              properties: {
                alias: { type: 'string', minLength: 1, description: 'The alias, e.g. champion.' },
                when: {
                  anyOf: [{ type: 'boolean' }, { type: 'string', pattern: REFERENCE }],
                  description: 'true, false, or a reference that renders to one, e.g. "{{tasks.evaluate.values.beats_champion}}".',
                },
              },
            },
          ],
        },
      },
    },
  },
};
