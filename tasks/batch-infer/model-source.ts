// Where batch_infer's model comes from and what it is: a path, or the
// registry's models:/name/3 and models:/name@alias (pinned for the run by
// resolveModel), so the rest of the task never sees the difference.
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { ModelMetadata } from '../ml/model-spec.js';
import { openSession, readModelInfo, type InferenceSession, type OnnxModelInfo } from '../ml/onnx/index.js';
import { isModelUri } from '../../engine/state/model-uri.js';
import { resolveModel } from '../registry/model-reference.js';
import { resolveInput, TaskInputError, type TaskContext } from '../runtime/task-context.js';

export interface ModelSource {
  file: string;
  uri: string;
  /** The registered name, else the file's name without its extension. */
  name: string;
  /** The registered version; null for a file outside the registry. */
  version: number | null;
}

export interface LoadedModel {
  source: ModelSource;
  info: OnnxModelInfo;
  metadata: ModelMetadata;
  session: InferenceSession;
}

/**
 * onnxruntime's worker threads spin while they wait for work by default,
 * which takes the CPU from DuckDB and the main thread that read the next
 * batch meanwhile: on two cores, scoring 1,000,000 rows with 100 trees took
 * 4.3–6.8 s end to end with spinning and 3.6–4.4 s without.
 */
const SESSION_OPTIONS = { extra: { session: { intra_op: { allow_spinning: '0' } } } };

export async function locateModel(context: TaskContext, reference: string): Promise<ModelSource> {
  if (isModelUri(reference.trim())) {
    const found = resolveModel(context, reference.trim(), 'model');
    return { file: found.file, uri: found.uri, name: found.name ?? basename(found.file, extname(found.file)), version: found.version ?? null };
  }
  const file = resolveInput(context, reference);
  return { file, uri: file, name: basename(file, extname(file)), version: null };
}

/** Reads and checks the model, then opens it in onnxruntime; every failure names the file. */
export async function loadModel(source: ModelSource): Promise<LoadedModel> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(source.file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (error as Error).message;
    throw new TaskInputError(`cannot read the model ${source.file}: ${reason}`);
  }
  let info: OnnxModelInfo;
  try {
    info = readModelInfo(bytes, source.file);
  } catch (error) {
    throw new TaskInputError((error as Error).message);
  }
  if (!info.metadata) {
    throw new TaskInputError(`${source.file} has no Sluice metadata (it was not written by the train task), so batch_infer cannot tell its input columns and classes; train it with train, or score it with evaluate and features:`);
  }
  const session = await openSession(bytes, SESSION_OPTIONS).catch((error: Error) => {
    throw new TaskInputError(error.message.replace('the model bytes', source.file));
  });
  return { source, info, metadata: info.metadata, session };
}
