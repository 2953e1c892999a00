// Built-in task types. Each lives in tasks/<type>/ and exports a
// TaskTypeDefinition (its YAML key, description and parameter schema); adding
// one means adding its folder and one line here. The ML types (ingest,
// feature, train, evaluate, register, batch_infer, monitor) arrive with the
// ML issues; the published schema is composed from this list.
import type { TaskTypeDefinition } from '../engine/task-types.js';

export const builtinTaskTypes: readonly TaskTypeDefinition[] = [];
