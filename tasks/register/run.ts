// register: copy a model into the content-addressed model store and record
// it as the next version of a named model, with its metrics, parameters,
// lineage and tags, setting the aliases whose condition holds. Everything is
// checked before the file is copied, and the version and its aliases are
// one transaction after the copy: a failed register leaves no version, and
// no version points at a missing file.
import { rmSync } from 'node:fs';
import { openStateDatabase } from '../../engine/state/database.js';
import { checkAliasName, checkModelName, ModelRegistry } from '../../engine/state/model-registry.js';
import { modelsDirFor } from '../../engine/state/state-home.js';
import { DatasetStore } from '../data/dataset-store.js';
import { openDuckDb } from '../data/duckdb.js';
import { buildProfile, type DatasetProfile } from '../monitor/profile.js';
import { asInputError, resolveModel, type ResolvedModel } from '../registry/model-reference.js';
import { predictionProfile } from '../registry/prediction-profile.js';
import { storeModelFile } from '../registry/model-store.js';
import { numberParameter } from '../runtime/parameter-values.js';
import { TaskInputError, type TaskContext, type TaskValues } from '../runtime/task-context.js';
import { collectLineage } from './lineage.js';

export type AliasItem = string | { alias: string; when: boolean | string };

export interface RegisterParams {
  model: string;
  name: string;
  metrics?: Record<string, number | string>;
  params?: Record<string, unknown>;
  description?: string;
  tags?: Record<string, string>;
  aliases?: AliasItem[];
}

export async function run(params: RegisterParams, context: TaskContext): Promise<TaskValues> {
  const name = params.name.trim();
  asInputError(undefined, () => checkModelName(name, 'name'));
  const metrics = Object.fromEntries(Object.entries(params.metrics ?? {}).map(([metric, value]) => [metric, numberParameter(value, `metrics.${metric}`)]));
  const { set: aliases, skipped } = chooseAliases(params.aliases ?? []);
  const model = resolveModel(context, params.model);
  const bytes = model.bytes;
  const metadata = model.info.metadata;
  const recordedParams = { ...(metadata ? { algorithm: metadata.algorithm, ...metadata.hyperparameters } : {}), ...params.params };
  const profile = metadata?.dataset ? await trainingProfile(context, metadata.dataset, model) : undefined;

  const db = openStateDatabase(context.stateDatabase);
  const registry = new ModelRegistry(db);
  let stored: ReturnType<typeof storeModelFile> | undefined;
  try {
    const before = new Map(registry.aliasesOf(name).map((a) => [a.alias, a.version]));
    stored = storeModelFile(bytes, modelsDirFor(context.stateDatabase));
    const lineage = collectLineage(db, context, model, stored.sha256, params.model);
    const version = asInputError(undefined, () => registry.register({
      name, sha256: stored!.sha256, file: stored!.file, ...(metadata ? { taskKind: metadata.task } : {}),
      metrics, params: recordedParams, lineage, tags: params.tags ?? {},
      ...(params.description === undefined ? {} : { description: params.description }),
      runId: context.runId, taskKey: context.taskKey,
    }, { aliases, setBy: `run ${context.runId} (${context.taskKey})` }));
    if (profile) registry.setReferenceProfile(name, version.version, profile);
    context.progress(version.created
      ? `registered ${version.uri} (${stored.created ? 'new file' : 'same file as before'} ${stored.file})`
      : `${version.uri} was registered by an earlier attempt of this task in run ${context.runId}: not registered again`);
    for (const alias of aliases) {
      const previous = before.get(alias);
      context.progress(`  @${alias} → version ${version.version}${previous === undefined ? ' (new alias)' : ` (was ${previous})`}`);
    }
    for (const alias of skipped) context.progress(`  @${alias} not set: its when is false${before.has(alias) ? ` (stays at version ${before.get(alias)})` : ''}`);
    return { name, version: version.version, uri: version.uri, aliases: aliases.join(','), file: version.file, sha256: version.sha256 };
  } catch (error) {
    // A file this task added and no version points at goes again.
    if (stored?.created && !registry.fileInUse(stored.file)) rmSync(stored.file, { force: true });
    throw error;
  } finally {
    db.close();
  }
}

/**
 * The profile of the rows the model learned from (its train rows, its
 * features) and of its predictions on them, kept with the version so that a monitor task compares new data
 * with what this very model saw, even after newer data has been ingested. None
 * when the training dataset is not in this state database.
 */
async function trainingProfile(context: TaskContext, datasetUri: string, model: ResolvedModel): Promise<DatasetProfile | undefined> {
  const connection = await openDuckDb();
  const store = DatasetStore.open(context);
  try {
    let dataset;
    try {
      dataset = store.resolve(datasetUri, 'the model\'s training dataset');
    } catch (error) {
      // A model trained against another state database: registered all the same, without a profile to monitor against.
      if (!(error instanceof TaskInputError)) throw error;
      context.progress(`no reference profile: ${error.message}; a monitor task needs the training data as a dataset URI for this version`);
      return undefined;
    }
    const profile = await buildProfile(connection, dataset);
    const metadata = model.info.metadata!;
    const prediction = await predictionProfile(connection, model.file, model.info, metadata, dataset);
    context.progress(`reference profile: ${profile.columns.length} columns of ${profile.rows} rows of ${datasetUri}, and the model's ${prediction.name} on them`);
    return { ...profile, prediction };
  } finally {
    store.close();
    connection.closeSync();
  }
}

/** The aliases to set now and those whose `when` is false; `when` arrives rendered, so "true"/"false" count. */
function chooseAliases(items: readonly AliasItem[]): { set: string[]; skipped: string[] } {
  const set: string[] = [];
  const skipped: string[] = [];
  items.forEach((item, i) => {
    const alias = (typeof item === 'string' ? item : item.alias).trim();
    asInputError(undefined, () => checkAliasName(alias, `aliases[${i}]`));
    if (set.includes(alias) || skipped.includes(alias)) throw new TaskInputError(`aliases[${i}]: '${alias}' is listed twice`);
    const when = typeof item === 'string' ? true : truth(item.when, `aliases[${i}].when`);
    (when ? set : skipped).push(alias);
  });
  return { set, skipped };
}

function truth(value: boolean | string, where: string): boolean {
  if (typeof value === 'boolean') return value;
  const text = value.trim().toLowerCase();
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new TaskInputError(`${where} is '${value}', but it must be true or false (a reference such as {{tasks.evaluate.values.beats_champion}} renders to one)`);
}
