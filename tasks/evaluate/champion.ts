// The `beat` gate: the candidate must be better than the current champion
// (a registered model, usually `models:/<name>@champion`) on the same rows,
// by at least `min_delta` of one metric. With no champion yet (the model is
// not registered, or the alias is not set) the candidate passes: the first
// model becomes the champion.
import { parseModelUri, type ModelRegistry } from '../../engine/state/model-registry.js';
import { closest, didYouMean } from '../../engine/suggest.js';
import { asInputError, resolveModel, withRegistry, type ModelContext, type ResolvedModel } from '../registry/model-reference.js';
import { numberParameter } from '../runtime/parameter-values.js';
import { TaskInputError } from '../runtime/task-context.js';

export interface BeatSpec {
  /** A path or model URI; usually models:/<name>@champion. */
  model: string;
  metric?: string;
  min_delta?: number | string;
}

/** Metrics where a smaller value is the better model. */
export const LOWER_IS_BETTER: ReadonlySet<string> = new Set(['log_loss', 'rmse', 'mae']);

export interface BeatVerdict {
  metric: string;
  /** The champion's concrete URI (models:/<name>/<version>) or path; absent when there is none. */
  champion?: string;
  championValue?: number;
  beats: boolean;
  /** The gate line when it does not beat the champion. */
  missed?: string;
  /** What happened, for the task's log. */
  note: string;
}

export async function judgeBeat(
  beat: BeatSpec, candidate: Record<string, number>, classifier: boolean, context: ModelContext,
  score: (champion: ResolvedModel) => Promise<Record<string, number>>,
): Promise<BeatVerdict> {
  const metric = beat.metric ?? (classifier ? 'roc_auc' : 'rmse');
  const names = Object.keys(candidate);
  if (candidate[metric] === undefined) {
    throw new TaskInputError(`gate.beat.metric '${metric}' is not a metric of this model${didYouMean(metric, names)} (metrics: ${names.join(', ')})`);
  }
  const minDelta = beat.min_delta === undefined ? 0 : numberParameter(beat.min_delta, 'gate.beat.min_delta');
  const absent = findAbsentChampion(beat.model, context);
  if (absent) return { metric, beats: true, note: `no champion yet (${absent}): the gate passes` };

  const champion = resolveModel(context, beat.model, 'gate.beat.model');
  const scores = await score(champion);
  const championValue = scores[metric];
  if (championValue === undefined) {
    throw new TaskInputError(`gate.beat: the champion ${champion.uri} has no metric ${metric} on these rows (its metrics: ${Object.keys(scores).join(', ')})`);
  }
  const value = candidate[metric]!;
  const lower = LOWER_IS_BETTER.has(metric);
  const gain = lower ? championValue - value : value - championValue;
  const beats = gain >= minDelta;
  const via = champion.alias ? ` (@${champion.alias})` : '';
  const note = `champion ${champion.uri}${via}: ${metric} ${format(championValue)}; this model ${format(value)} ` +
    `(${lower ? 'lower is better' : 'higher is better'}, needed ${minDelta > 0 ? `at least ${minDelta} better` : minDelta === 0 ? 'at least as good' : `at most ${-minDelta} worse`}): ` +
    (beats ? 'beats it' : 'does not beat it');
  return {
    metric, champion: champion.uri, championValue, beats, note,
    ...(beats ? {} : { missed: `${metric} ${format(value)} does not beat the champion ${champion.uri} (${format(championValue)}) by ${minDelta}` }),
  };
}

/**
 * Why there is no champion, when a registry URI names a model that is not
 * registered or an alias that is not set; undefined when there is one (or
 * the reference is a path or a version, which must exist).
 */
function findAbsentChampion(reference: string, context: ModelContext): string | undefined {
  if (!reference.trim().startsWith('models:')) return undefined;
  const uri = asInputError('gate.beat.model', () => parseModelUri(reference));
  if (uri.alias === undefined) return undefined;
  return withRegistry(context, 'gate.beat.model', (registry: ModelRegistry) => {
    const names = registry.names();
    if (!names.includes(uri.name)) {
      const guess = closest(uri.name, names);
      return `no model '${uri.name}' is registered${guess ? `; did you mean '${guess}'?` : ''}`;
    }
    const aliases = registry.aliasesOf(uri.name);
    if (!aliases.some((a) => a.alias === uri.alias)) return `model '${uri.name}' has no alias '${uri.alias}'${didYouMean(uri.alias!, aliases.map((a) => a.alias))}`;
    return undefined;
  });
}

function format(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}
