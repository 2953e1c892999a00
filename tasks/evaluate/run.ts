// evaluate: score a dataset's test rows with the exported model in
// onnxruntime (the same graph batch inference will run) and judge the metrics.
import { DatasetStore } from '../data/dataset-store.js';
import { formatDatasetUri } from '../data/dataset-uri.js';
import { openDuckDb } from '../data/duckdb.js';
import { SPLIT_COLUMN, type SplitChoice } from '../data/model-table.js';
import { resolveModel } from '../registry/model-reference.js';
import { TaskInputError, type TaskContext, type TaskValues } from '../runtime/task-context.js';
import { judgeBeat } from './champion.js';
import { gateVerdict, judgeGates, type GateSpec } from './gates.js';
import { formatConfusionMatrix } from './report.js';
import { scoreModel, type ScoreRequest } from './score.js';

export interface EvaluateParams {
  model: string;
  dataset: string;
  split?: SplitChoice;
  target?: string;
  features?: string[];
  gate?: GateSpec;
}

export async function run(params: EvaluateParams, context: TaskContext): Promise<TaskValues> {
  const model = resolveModel(context, params.model);
  const connection = await openDuckDb();
  const store = DatasetStore.open(context);
  try {
    const dataset = store.resolve(params.dataset, 'dataset');
    const uri = formatDatasetUri(dataset.name, dataset.version);
    const split: SplitChoice = params.split ?? (dataset.columns.some((column) => column.name === SPLIT_COLUMN) ? 'test' : 'all');
    const request: ScoreRequest = { dataset, uri, split, ...(params.target ? { target: params.target } : {}), ...(params.features ? { features: params.features } : {}) };
    const scores = await scoreModel(connection, model, request);
    const named = model.version === undefined ? params.model : `${model.uri}${model.alias ? ` (@${model.alias})` : ''}`;
    context.progress(`scored ${scores.rows} ${split === 'all' ? '' : `${split} `}rows of ${uri} with ${named}:\n` +
      Object.entries(scores.numbers).map(([name, value]) => `  ${name.padEnd(10)} ${value.toFixed(4)}`).join('\n'));
    if (scores.extra.confusion_matrix) context.progress(formatConfusionMatrix(JSON.parse(scores.extra.confusion_matrix), JSON.parse(scores.extra.classes!)));

    const missed = params.gate ? judgeGates(params.gate, scores.numbers) : [];
    const bounds = params.gate ? gateVerdict(params.gate, scores.numbers) : undefined;
    if (bounds) context.progress(bounds);
    const values: TaskValues = {};
    if (params.gate?.beat) {
      // The champion is scored on the very rows the candidate was, against the candidate's target.
      const verdict = await judgeBeat(params.gate.beat, scores.numbers, scores.classifier, context,
        async (champion) => (await scoreModel(connection, champion, { ...request, target: scores.target })).numbers);
      context.progress(verdict.note);
      if (verdict.missed) missed.push(verdict.missed);
      values.champion = verdict.champion ?? 'none';
      if (verdict.championValue !== undefined) values[`champion_${verdict.metric}`] = verdict.championValue;
      values.beats_champion = verdict.beats;
    }
    if (missed.length > 0 && params.gate?.on_failure !== 'continue') {
      throw new TaskInputError(`the model misses its gate on ${uri}: ${missed.join('; ')}`);
    }
    return {
      ...scores.numbers, ...scores.extra, ...values, rows: scores.rows, dataset: uri, passed: missed.length === 0,
      ...(model.version === undefined ? {} : { model_uri: model.uri }),
      ...(missed.length ? { failed_gates: missed.join('; ') } : {}),
    };
  } finally {
    store.close();
    connection.closeSync();
  }
}
