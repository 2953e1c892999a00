// monitor: compare a current dataset (and its predictions) with a reference
// profile, judge drift per column, write the HTML report and, on drift,
// request a run of another pipeline.
import { join } from 'node:path';
import type { DatasetVersion } from '../../engine/state/dataset-catalog.js';
import { closest } from '../../engine/suggest.js';
import { readColumns } from '../data/column-reader.js';
import { DatasetStore } from '../data/dataset-store.js';
import { formatDatasetUri } from '../data/dataset-uri.js';
import { openDuckDb, type DuckDBConnection } from '../data/duckdb.js';
import { isModelUri } from '../../engine/state/model-uri.js';
import { resolveModel } from '../registry/model-reference.js';
import { resolveInput, TaskInputError, type TaskContext, type TaskValues } from '../runtime/task-context.js';
import { compareColumn, type ColumnDrift } from './compare.js';
import { requestDriftRun } from './drift-trigger.js';
import { decide, summaryLines } from './outcome.js';
import { readDriftShare, readThresholds, readTrigger, thresholdsFor, type MonitorParams } from './params.js';
import { buildProfile, checkProfile, columnKind, type ColumnProfile, type DatasetProfile } from './profile.js';
import { writeReport } from './report.js';

export async function run(params: MonitorParams, context: TaskContext): Promise<TaskValues> {
  const plan = readThresholds(params.thresholds);
  const driftShare = readDriftShare(params.drift_share);
  const trigger = readTrigger(params.on_drift);
  const reportFile = params.report ? resolveInput(context, params.report) : join(context.artifactsDir, 'drift-report.html');
  const connection = await openDuckDb();
  const store = DatasetStore.open(context);
  try {
    const current = store.resolve(params.current, 'current');
    const currentUri = formatDatasetUri(current.name, current.version);
    if (current.rowCount === 0) throw new TaskInputError(`current: ${currentUri} has no rows, so there is nothing to compare with the reference`);
    const reference = await referenceProfile(params, store, connection, context);
    const features = selectColumns(reference, params.features);
    const predictionSource = params.prediction_column && params.predictions ? store.resolve(params.predictions, 'predictions') : current;
    const predictionProfile = params.prediction_column ? referencePrediction(reference, params.prediction_column) : undefined;

    requireColumns(current, features, 'the reference has', 'give features: to monitor fewer columns');
    if (predictionProfile) {
      requireColumns(predictionSource, [{ ...predictionProfile, name: params.prediction_column! }], 'is the prediction column',
        params.predictions ? 'check prediction_column' : 'give predictions: when the predictions are in another dataset', { integerClasses: true });
    }
    const predictionsUri = formatDatasetUri(predictionSource.name, predictionSource.version);
    if (predictionSource !== current && predictionSource.rowCount === 0) throw new TaskInputError(`predictions: ${predictionsUri} has no rows`);

    const monitored = [...features.map((column) => column.name), ...(params.prediction_column ? [params.prediction_column] : [])];
    const thresholds = thresholdsFor(plan, monitored);
    const values = await readColumns(connection, current.file, {
      numeric: features.filter((column) => column.kind === 'numeric').map((column) => column.name),
      text: features.filter((column) => column.kind === 'categorical').map((column) => column.name),
    });
    const results: ColumnDrift[] = features.map((column) =>
      compareColumn(column, column.kind === 'numeric' ? values.numeric[column.name]! : values.text[column.name]!, thresholds(column.name)));
    let prediction: ColumnDrift | undefined;
    if (predictionProfile) {
      const name = params.prediction_column!;
      const read = await readColumns(connection, predictionSource.file, predictionProfile.kind === 'numeric' ? { numeric: [name], text: [] } : { numeric: [], text: [name] });
      prediction = { ...compareColumn(predictionProfile, predictionProfile.kind === 'numeric' ? read.numeric[name]! : read.text[name]!, thresholds(name)), name };
    }

    const outcome = decide({
      reference: reference.source, current: currentUri, ...(predictionSource !== current ? { predictions: predictionsUri } : {}),
      features: results, ...(prediction ? { prediction } : {}), skipped: reference.skipped ?? [], driftShare,
    });
    for (const line of summaryLines(outcome)) context.progress(line);
    writeReport(reportFile, outcome, new Date());
    context.progress(`report: ${reportFile}`);

    const triggered = outcome.detected && trigger ? requestDriftRun(context.stateDatabase, context.runId, trigger, Date.now()) : undefined;
    if (triggered && trigger) {
      context.progress(`${triggered.created ? 'requested' : 'already requested'} a run of '${trigger.pipeline}' (fire key ${triggered.fireKey}): ` +
        `a running \`sluice serve\` whose folder holds it starts it; without one, \`sluice trigger ${trigger.pipeline} --queued --wait\` runs it here`);
    }
    return {
      drift_detected: outcome.detected,
      drifted_features: outcome.drifted.join(','),
      share_drifted: outcome.share,
      features: outcome.features.length,
      feature_psi: featurePsi(outcome.features),
      report: reportFile,
      current: currentUri,
      reference: reference.source,
      ...(prediction ? { prediction_drift: prediction.drifted } : {}),
      ...(triggered && trigger ? { triggered: trigger.pipeline } : {}),
    };
  } finally {
    store.close();
    connection.closeSync();
  }
}

/** `{"age":0.2505,…}`: enough for a glance at each feature (the terminal UI's bars); the report has the rest. */
function featurePsi(features: readonly ColumnDrift[]): string {
  return JSON.stringify(Object.fromEntries(features.map((feature) => [feature.name, feature.psi === null ? null : Math.round(feature.psi * 1e4) / 1e4])));
}

/**
 * The reference as a profile: a dataset is profiled now; a profile object
 * (the registry's, for a model) is checked and used as it is.
 */
async function referenceProfile(params: MonitorParams, store: DatasetStore, connection: DuckDBConnection, context: TaskContext): Promise<DatasetProfile> {
  const reference = params.reference;
  if (typeof reference !== 'string') return checkProfile(reference, 'reference');
  if (isModelUri(reference.trim())) {
    // The profile stored when the version was registered: the data it learned from, as it was then.
    const model = resolveModel(context, reference.trim(), 'reference');
    if (model.referenceProfile === undefined) {
      throw new TaskInputError(`reference: ${model.uri} has no stored reference profile (it was registered without its training dataset); give the training data as a dataset URI`);
    }
    context.progress(`reference: the profile stored with ${model.uri}${model.alias ? ` (@${model.alias})` : ''}`);
    const profile = checkProfile(model.referenceProfile, `reference (${model.uri})`);
    return { ...profile, source: `${model.uri}: ${profile.source}` };
  }
  const dataset = store.resolve(reference, 'reference');
  return buildProfile(connection, dataset, {
    ...(params.features ? { features: params.features } : {}),
    ...(params.prediction_column ? { predictionColumn: params.prediction_column } : {}),
  });
}

/** The profile's columns, or the ones `features` names (each must be in the profile). */
function selectColumns(profile: DatasetProfile, features: readonly string[] | undefined): ColumnProfile[] {
  if (!features) return profile.columns;
  const names = profile.columns.map((column) => column.name);
  return features.map((name) => {
    const found = profile.columns.find((column) => column.name === name);
    if (found) return found;
    const guess = closest(name, names);
    throw new TaskInputError(`features: the reference profile (${profile.source}) has no column '${name}'${guess ? `; did you mean '${guess}'?` : ''} (it has ${names.join(', ')})`);
  });
}

function referencePrediction(profile: DatasetProfile, column: string): ColumnProfile {
  // A stored profile names the column it describes (a binary model's is probability_<class>): another column is not comparable.
  if (profile.prediction && profile.prediction.name !== column) {
    throw new TaskInputError(`prediction_column: the reference profile (${profile.source}) holds predictions as '${profile.prediction.name}', not '${column}'; give prediction_column: ${profile.prediction.name}`);
  }
  if (profile.prediction) return profile.prediction;
  throw new TaskInputError(`prediction_column: the reference profile (${profile.source}) has no predictions to compare '${column}' with`);
}

/**
 * Every monitored column is in the dataset with a comparable type; all missing
 * ones are named at once. With `integerClasses`, integers compare with a
 * categorical reference: predicted classes such as 0, 1, 2, which batch_infer
 * writes as integers and the stored profile holds as labels ('0', '1', '2').
 */
function requireColumns(dataset: DatasetVersion, columns: readonly ColumnProfile[], role: string, hint: string, options: { integerClasses?: boolean } = {}): void {
  const uri = formatDatasetUri(dataset.name, dataset.version);
  const names = dataset.columns.map((column) => column.name);
  const missing = columns.filter((column) => !names.includes(column.name)).map((column) => column.name);
  if (missing.length > 0) {
    const guess = missing.length === 1 ? closest(missing[0]!, names) : undefined;
    throw new TaskInputError(`${uri} has no column ${missing.map((name) => `'${name}'`).join(', ')}, which ${role}` +
      `${guess ? `; did you mean '${guess}'?` : ` (its columns: ${names.join(', ')})`}; ${hint}`);
  }
  for (const column of columns) {
    const type = dataset.columns.find((candidate) => candidate.name === column.name)!.type;
    const classes = options.integerClasses === true && column.kind === 'categorical' && type === 'integer';
    if (columnKind(type) !== column.kind && !classes) {
      throw new TaskInputError(`column '${column.name}' is ${column.kind} in the reference but holds ${type} values in ${uri}`);
    }
  }
}
