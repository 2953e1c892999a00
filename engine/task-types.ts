// The contract between the engine and built-in task types (`tasks/<type>/`).
// The engine never imports tasks/: the CLI passes the registered types in.

export type JsonSchema = { [keyword: string]: unknown };

export interface TaskTypeDefinition {
  /** The YAML key that selects this type in a task, e.g. `train`. */
  name: string;
  /** One sentence for the schema and `sluice schema`. */
  description: string;
  /** JSON Schema of the value under the key. */
  paramsSchema: JsonSchema;
}

/** Task types the engine runs itself; built-in types may not reuse these names. */
export const CORE_TASK_TYPES = ['command', 'shell', 'condition', 'for_each', 'run_pipeline'] as const;
