// The reference datasets in test/fixtures/datasets/ as matrices, split the way
// their README says (test = row_index % 5 == 0), with scikit-learn's results
// from datasets.json beside them.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const folder = fileURLToPath(new URL('./fixtures/datasets/', import.meta.url));

export interface ReferenceDataset {
  name: string;
  task: 'binary' | 'multiclass' | 'regression';
  featureNames: string[];
  /** Feature-major: columns[f][row]. */
  train: { columns: Float64Array[]; target: Float64Array };
  test: { columns: Float64Array[]; target: Float64Array };
  /** Sorted class labels for classification. */
  classes?: number[];
  /** datasets.json's entry: baselines (accuracy, roc_auc…, fitted_exact) and more. */
  reference: any;
}

const manifest = JSON.parse(readFileSync(`${folder}datasets.json`, 'utf8'));

export const referenceDatasetNames: string[] = Object.keys(manifest.datasets);

export function loadReferenceDataset(name: string): ReferenceDataset {
  const entry = manifest.datasets[name];
  if (!entry) throw new Error(`no reference dataset '${name}'`);
  const lines = readFileSync(`${folder}${entry.file}`, 'utf8').trimEnd().split('\n');
  const header = lines[0]!.split(',');
  const featureIndex = (entry.features as string[]).map((feature) => header.indexOf(feature));
  const targetIndex = header.indexOf(entry.target);
  const rows = lines.slice(1).map((line) => line.split(',').map(Number));
  const part = (keep: (row: number) => boolean) => {
    const picked = rows.filter((_, index) => keep(index));
    return {
      columns: featureIndex.map((column) => Float64Array.from(picked, (row) => row[column]!)),
      target: Float64Array.from(picked, (row) => row[targetIndex]!),
    };
  };
  return {
    name,
    task: entry.task,
    featureNames: entry.features,
    train: part((row) => row % 5 !== 0),
    test: part((row) => row % 5 === 0),
    classes: entry.classes,
    reference: entry,
  };
}

/** Class labels as indices into the sorted classes. */
export function classIndices(target: Float64Array, classes: number[]): Int32Array {
  return Int32Array.from(target, (label) => classes.indexOf(label));
}

export interface TrainingPipelineOptions {
  /** The pipeline's name (default `<dataset>_<algorithm>`). */
  pipeline?: string;
  /** Steps for every feature column (default [standardize]). */
  steps?: string;
  /** More `column: steps` lines under features:. */
  extraFeatures?: string[];
  /** SQL of the feature task (default: the ingested table as it is). */
  sql?: string;
  /** The label column (default: the reference dataset's). */
  target?: string;
  /** More lines under train:. */
  train?: string;
  /** Tasks after train, as YAML list items. */
  tasks?: string;
}

/** ingest a reference dataset → feature (split row_index % 5 == 0 → test) → train, then `options.tasks`. */
export function trainingPipeline(name: string, algorithm: string, options: TrainingPipelineOptions = {}): string {
  const reference = loadReferenceDataset(name);
  const features = [
    ...reference.featureNames.map((feature) => `        ${feature}: ${options.steps ?? '[standardize]'}`),
    ...(options.extraFeatures ?? []).map((line) => `        ${line}`),
  ].join('\n');
  return `name: ${options.pipeline ?? `${name}_${algorithm}`}
tasks:
  - task_key: ingest
    ingest: { source: ${name}.csv, dataset: ${name} }
  - task_key: features
    depends_on: [ingest]
    feature:
      inputs: { raw: "{{tasks.ingest.values.dataset}}" }
${options.sql ? `      sql: ${options.sql}\n` : ''}      dataset: ${name}_features
      target: ${options.target ?? reference.reference.target}
      split: { by: row_index, modulo: 5, test_remainder: 0 }
      features:
${features}
  - task_key: train
    depends_on: [features]
    train:
      dataset: "{{tasks.features.values.dataset}}"
      algorithm: ${algorithm}
${options.train ?? ''}
${options.tasks ?? ''}`;
}
