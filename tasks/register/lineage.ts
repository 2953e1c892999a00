// Where a registered model came from, recorded with its version: the run
// and task that registered it, the pipeline's YAML hash and git commit, the
// dataset versions it was trained on (the training set and the inputs of the
// feature task that made it) and its feature transform.
import type { Database } from '../../engine/state/database.js';
import { DatasetCatalog } from '../../engine/state/dataset-catalog.js';
import { RunStore } from '../../engine/state/run-store.js';
import { formatDatasetUri, parseDatasetUri } from '../data/dataset-uri.js';
import type { ResolvedModel } from '../registry/model-reference.js';
import type { TaskContext } from '../runtime/task-context.js';

export interface Lineage {
  runId: number;
  taskKey: string;
  pipeline?: string;
  pipelineFile?: string;
  /** sha256 of the pipeline's YAML as it ran. */
  pipelineHash?: string;
  gitCommit?: string;
  gitDirty?: boolean;
  /** The `model:` parameter as given (a path or a models:/ URI). */
  source: string;
  modelSha256: string;
  trainingDataset?: string;
  /** The training dataset first, then the datasets it was made from. */
  datasets: string[];
  target?: string;
  algorithm?: string;
  featureTransform?: unknown;
  [key: string]: unknown;
}

export function collectLineage(db: Database, context: Pick<TaskContext, 'runId' | 'taskKey'>, model: ResolvedModel, sha256: string, source: string): Lineage {
  const lineage: Lineage = { runId: context.runId, taskKey: context.taskKey, source, modelSha256: sha256, datasets: [] };
  const runs = new RunStore(db);
  const run = runs.run(context.runId);
  if (run) {
    lineage.pipeline = run.pipeline;
    const version = runs.pipelineVersion(run.pipeline_version_id);
    if (version) {
      lineage.pipelineFile = version.file;
      lineage.pipelineHash = version.source_hash;
      if (version.git_commit !== null) lineage.gitCommit = version.git_commit;
      if (version.git_dirty !== null) lineage.gitDirty = version.git_dirty !== 0;
    }
  }
  const metadata = model.info.metadata;
  if (metadata) {
    lineage.target = metadata.target;
    lineage.algorithm = metadata.algorithm;
    lineage.featureTransform = metadata.plan;
  }
  if (metadata?.dataset) {
    lineage.trainingDataset = metadata.dataset;
    lineage.datasets = [metadata.dataset, ...inputsOf(new DatasetCatalog(db), metadata.dataset)];
  }
  return lineage;
}

/** The versions a feature dataset was made from, as its catalog entry records them ("feature of a@1, b@2"). */
function inputsOf(catalog: DatasetCatalog, uri: string): string[] {
  let reference;
  try {
    reference = parseDatasetUri(uri, 'lineage');
  } catch {
    return [];
  }
  const version = catalog.find(reference.name, reference.version);
  if (!version?.source.startsWith('feature of ')) return [];
  return version.source.slice('feature of '.length).split(', ').flatMap((part) => {
    const match = /^([A-Za-z][A-Za-z0-9_.-]*)@(\d+)$/.exec(part.trim());
    return match ? [formatDatasetUri(match[1]!, Number(match[2]))] : [];
  });
}
