// How a task's `model:` parameter becomes a file: a path (relative to the
// task's folder) or a registry URI, `models:/churn/3` or
// `models:/churn@champion`. A URI is resolved once per run and pinned, so
// every task of the run scores with the same version even if the alias
// moves meanwhile. Either way the file is checked to be an ONNX model.
import { readFileSync } from 'node:fs';
import { openStateDatabase } from '../../engine/state/database.js';
import { isModelUri, ModelRegistry, ModelRegistryError, parseModelUri } from '../../engine/state/model-registry.js';
import { readModelInfo, type OnnxModelInfo } from '../ml/onnx/index.js';
import { resolveInput, TaskInputError, type TaskContext } from '../runtime/task-context.js';
import { sha256Of } from './model-store.js';

export interface ResolvedModel {
  /** Absolute path of the ONNX file. */
  file: string;
  /** `models:/<name>/<version>` for a registered model (the version the run pinned), else the path as given. */
  uri: string;
  name?: string;
  version?: number;
  /** The alias the reference went through, for `models:/<name>@<alias>`. */
  alias?: string;
  metrics?: Record<string, number>;
  referenceProfile?: unknown;
  /** Inputs, outputs and Sluice metadata of the model, read from the file. */
  info: OnnxModelInfo;
  /** The file's bytes as read (for a registered model, checked against its sha256). */
  bytes: Uint8Array;
}

export type ModelContext = Pick<TaskContext, 'runId' | 'workingDir' | 'stateDatabase'>;

/** `where` names the parameter in errors, e.g. `model` or `gate.beat.model`. */
export function resolveModel(context: ModelContext, reference: string, where = 'model'): ResolvedModel {
  if (!isModelUri(reference)) {
    const file = resolveInput(context, reference);
    const bytes = readBytes(file, where);
    return { file, uri: reference, info: readInfo(bytes, file, where), bytes };
  }
  const uri = asInputError(where, () => parseModelUri(reference));
  const found = withRegistry(context, where, (registry) => registry.pin(context.runId, uri));
  const bytes = readBytes(found.file, where, found.uri);
  if (sha256Of(bytes) !== found.sha256) {
    throw new TaskInputError(`${where}: the file of ${found.uri} (${found.file}) was changed after it was registered; register the model again`);
  }
  const alias = uri.alias;
  return {
    file: found.file,
    uri: found.uri,
    name: found.name,
    version: found.version,
    ...(alias === undefined ? {} : { alias }),
    metrics: found.metrics,
    ...(found.referenceProfile === undefined ? {} : { referenceProfile: found.referenceProfile }),
    info: readInfo(bytes, found.uri, where),
    bytes,
  };
}

/** Runs `use` on the state database's registry, turning its lookup errors into task input errors. */
export function withRegistry<T>(context: Pick<TaskContext, 'stateDatabase'>, where: string, use: (registry: ModelRegistry) => T): T {
  const db = openStateDatabase(context.stateDatabase);
  try {
    return asInputError(where, () => use(new ModelRegistry(db)));
  } finally {
    db.close();
  }
}

/** A registry mistake (bad URI, unknown model, version or alias) is the user's: a plain message that names the parameter. */
export function asInputError<T>(where: string | undefined, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof ModelRegistryError) throw new TaskInputError(where ? `${where}: ${error.message}` : error.message);
    throw error;
  }
}

function readBytes(file: string, where: string, uri?: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (uri && code === 'ENOENT') {
      throw new TaskInputError(`${where}: the file of ${uri} is missing (${file}); something removed it from the model store; register the model again`);
    }
    throw new TaskInputError(`${where}: cannot read the model ${file}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}

function readInfo(bytes: Uint8Array, source: string, where: string): OnnxModelInfo {
  try {
    return readModelInfo(bytes, source);
  } catch (error) {
    throw new TaskInputError(`${where}: ${(error as Error).message}`);
  }
}
