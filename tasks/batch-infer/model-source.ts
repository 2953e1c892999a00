// Where batch_infer's model comes from and what it is: a path, or the
// registry's models:/name/3 and models:/name@alias (pinned for the run by
// resolveModel), so the rest of the task never sees the difference.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, extname } from 'node:path';
import type { ModelMetadata } from '../ml/model-spec.js';
import { readModelInfo, type InputColumn, type OnnxModelInfo, type RawModelOutputs } from '../ml/onnx/index.js';
import { SessionPool } from '../ml/onnx/session-thread.js';
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

export interface ModelFile {
  source: ModelSource;
  bytes: Uint8Array;
  info: OnnxModelInfo;
  metadata: ModelMetadata;
}

const LINEAR_ALGORITHMS = new Set(['logistic_regression', 'linear_regression']);

export interface Scorer {
  /**
   * Scores the first `rows` rows of `table` in one of onnxruntime's threads;
   * the numeric columns' buffers move there (see SessionThread.run).
   */
  score(table: Record<string, InputColumn>, rows: number): Promise<RawModelOutputs>;
  /** How many batches can be scored at once. */
  parallel: number;
  release(): Promise<void>;
}

/** Finds, reads and checks the model; every failure names it. A registered model is read once, by resolveModel. */
export function loadModel(context: TaskContext, reference: string): ModelFile {
  if (isModelUri(reference.trim())) {
    const found = resolveModel(context, reference.trim(), 'model');
    const source = { file: found.file, uri: found.uri, name: found.name ?? basename(found.file, extname(found.file)), version: found.version ?? null };
    return withMetadata(source, found.bytes, found.info);
  }
  const file = resolveInput(context, reference);
  const source = { file, uri: file, name: basename(file, extname(file)), version: null };
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (error as Error).message;
    throw new TaskInputError(`cannot read the model ${file}: ${reason}`);
  }
  let info: OnnxModelInfo;
  try {
    info = readModelInfo(bytes, file);
  } catch (error) {
    throw new TaskInputError((error as Error).message);
  }
  return withMetadata(source, bytes, info);
}

function withMetadata(source: ModelSource, bytes: Uint8Array, info: OnnxModelInfo): ModelFile {
  if (!info.metadata) {
    throw new TaskInputError(`${source.file} has no Sluice metadata (it was not written by the train task), so batch_infer cannot tell its input columns and classes; train it with train, or score it with evaluate and features:`);
  }
  return { source, bytes, info, metadata: info.metadata };
}

/** Opens the model in onnxruntime, whose refusal names the file. */
export async function openScorer({ source, bytes, info }: ModelFile): Promise<Scorer> {
  // One single-threaded session per CPU, each scoring whole batches (see
  // SessionPool). On two cores, 1,000,000 rows through 100 trees took 3.0 s
  // end to end this way, 3.2 s with one two-threaded session in a thread of its
  // own, and 3.3 s with it on the main thread. A linear model scores its rows
  // faster than they are read, so a second session would only add a thread's
  // start and contention: 1.24–1.31 million rows/s with one, 1.03–1.25 with two.
  const sessions = LINEAR_ALGORITHMS.has(info.metadata?.algorithm ?? '') ? 1 : availableParallelism();
  const pool = await SessionPool.open(bytes, {}, sessions).catch((error: Error) => {
    throw new TaskInputError(`onnxruntime cannot load ${source.file}: ${error.message}`);
  });
  return { parallel: pool.size, score: (table, rows) => pool.run(info, table, rows), release: () => pool.release() };
}
