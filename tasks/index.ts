// Built-in task types. Each lives in tasks/<type>/: a definition (its YAML
// key, description and parameter schema), loaded with every CLI command, and
// a module that runs it, loaded only inside that task's process. Adding one
// means adding its folder and one entry here; the published schema is
// composed from this list.
import type { TaskTypeDefinition } from '../engine/task-types.js';
import { batchInferDefinition } from './batch-infer/definition.js';
import { evaluateDefinition } from './evaluate/definition.js';
import { featureDefinition } from './feature/definition.js';
import { ingestDefinition } from './ingest/definition.js';
import { registerDefinition } from './register/definition.js';
import { monitorDefinition } from './monitor/definition.js';
import type { TaskModule } from './runtime/task-context.js';
import { trainDefinition } from './train/definition.js';

export interface BuiltinTaskType extends TaskTypeDefinition {
  load(): Promise<TaskModule>;
}

export const builtinTaskTypes: readonly BuiltinTaskType[] = [
  { ...ingestDefinition, load: () => import('./ingest/run.js') },
  { ...featureDefinition, load: () => import('./feature/run.js') },
  { ...trainDefinition, load: () => import('./train/run.js') },
  { ...evaluateDefinition, load: () => import('./evaluate/run.js') },
  { ...registerDefinition, load: () => import('./register/run.js') },
  { ...batchInferDefinition, load: () => import('./batch-infer/run.js') },
  { ...monitorDefinition, load: () => import('./monitor/run.js') },
];
