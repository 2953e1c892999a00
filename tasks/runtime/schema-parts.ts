// Pieces of parameter schemas that several task types share.
import type { JsonSchema } from '../../engine/task-types.js';

/** A number, or a reference that renders to one when the task starts. */
export function numberOrReference(description: string, extra: JsonSchema = {}): JsonSchema {
  return { anyOf: [{ type: 'number', ...extra }, { type: 'string', pattern: '\\{\\{.+\\}\\}' }], description };
}

export function integerOrReference(description: string, extra: JsonSchema = {}): JsonSchema {
  return { anyOf: [{ type: 'integer', ...extra }, { type: 'string', pattern: '\\{\\{.+\\}\\}' }], description };
}

/** One of a fixed set of words, or a reference (e.g. a for_each input) that is checked when the task starts. */
export function enumOrReference(values: readonly string[], description: string): JsonSchema {
  return { anyOf: [{ enum: [...values] }, { type: 'string', pattern: '\\{\\{.+\\}\\}' }], description };
}

export function datasetUri(description: string): JsonSchema {
  return { type: 'string', minLength: 1, description: `${description} A dataset://<name>[@<version>] URI, usually a reference such as {{tasks.ingest.values.dataset}}.` };
}

export function columnList(description: string): JsonSchema {
  return { type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true, minItems: 1, description };
}

/** A model: a path of an ONNX file or a registry URI (models:/<name>/<version>, models:/<name>@<alias>). */
export function modelReference(description: string): JsonSchema {
  return { type: 'string', minLength: 1, description };
}
