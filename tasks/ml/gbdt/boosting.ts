// The boosting loop of scikit-learn's HistGradientBoosting: bin the features
// once, start every row at the baseline score, then each iteration compute
// the loss gradients and grow one tree per output on them, adding the
// shrunk leaf values to the scores; stop early on a held-out validation loss.
import type { LearningTask, RegressionTree, TreeEnsembleModel } from '../model-spec.js';
import { BINNING_SAMPLE_ROWS, binRowsWithEdges, type BinnedFeatures } from './binning.js';
import { shouldStopEarly, validationSplit } from './early-stopping.js';
import { AUTO_EARLY_STOPPING_ROWS, checkTrainingData, resolveOptions, type BoostingSettings, type GradientBoostingOptions } from './fit-inputs.js';
import { lossFor, type BoostingLoss } from './losses.js';
import { sampleRows, seededRandom } from './seeded-random.js';
import { growTree, type GrowthLimits } from './tree-grower.js';
import { addBinnedTreeScores, addLeafValues, flattenTree } from './tree-model.js';
import { startTraining, type Training } from './training-setup.js';

export interface BoostingProgress {
  /** Iterations done so far (1-based). */
  iteration: number;
  maxIterations: number;
  /** Mean training loss (half binomial/multinomial deviance or half squared error). */
  trainLoss: number;
  /** Mean validation loss, when early stopping holds rows out. */
  validationLoss?: number;
}

export interface GradientBoostingFit {
  model: TreeEnsembleModel;
  /** Iterations run: maxIterations unless early stopping ended sooner. */
  iterations: number;
}

export function fitGradientBoosting(
  columns: Float64Array[], target: Int32Array | Float64Array, task: LearningTask, nClasses: number,
  options?: GradientBoostingOptions, onProgress?: (progress: BoostingProgress) => void,
): GradientBoostingFit {
  const settings = resolveOptions(options);
  const labels = checkTrainingData(columns, target, task, nClasses);
  const loss = lossFor(task, nClasses);
  const random = seededRandom(settings.seed);
  const stopEarly = settings.earlyStopping === 'auto' ? labels.length > AUTO_EARLY_STOPPING_ROWS : settings.earlyStopping;
  const split = stopEarly ? validationSplit(labels, task === 'regression' ? undefined : nClasses, settings.validationFraction, random) : undefined;
  if (split && split.train.length === 0) {
    throw new Error(`gradient boosting: ${labels.length} rows leave none to train on after holding out the validation fraction; add rows or turn early stopping off`);
  }
  const trainTarget = split ? pickRows(labels, split.train) : labels;
  const sample = trainTarget.length > BINNING_SAMPLE_ROWS ? sampleRows(trainTarget.length, BINNING_SAMPLE_ROWS, random) : undefined;
  const limits: GrowthLimits = {
    maxLeafNodes: settings.maxLeafNodes,
    maxDepth: settings.maxDepth,
    rules: {
      minSamplesLeaf: settings.minSamplesLeaf,
      minHessianToSplit: 1e-3,
      l2Regularization: settings.l2Regularization,
      constantHessian: loss.constantHessian,
    },
  };
  const input = { columns, trainingRows: split?.train, sample, target: trainTarget, task, nClasses, maxBins: settings.maxBins };
  const training = startTraining(input, loss, limits);
  try {
    const { baseScores, data } = training;
    const validation: ScoredRows | undefined = split && {
      data: binRowsWithEdges(columns, data.edges, split.validation),
      target: pickRows(labels, split.validation),
      raw: baseScores.map((score) => new Float64Array(split.validation.length).fill(score)),
    };
    const trees: RegressionTree[] = [];
    const iterations = boost(training, validation, loss, settings, limits, trees, onProgress);
    return { model: { type: 'tree_ensemble', task, baseScores, trees }, iterations };
  } finally {
    training.close();
  }
}

/** Validation rows: binned with the training edges, with their labels and scores so far. */
interface ScoredRows {
  data: BinnedFeatures;
  target: Float64Array;
  raw: Float64Array[];
}

/** Runs the iterations, appending trees; returns how many iterations ran. */
function boost(
  training: Training, validation: ScoredRows | undefined, loss: BoostingLoss, settings: BoostingSettings,
  limits: GrowthLimits, trees: RegressionTree[], onProgress: ((progress: BoostingProgress) => void) | undefined,
): number {
  const { workspace, data, state } = training;
  const validationLosses = validation ? [loss.meanLoss(validation.target, validation.raw)] : [];
  for (let iteration = 1; iteration <= settings.maxIterations; iteration++) {
    training.updateGradients();
    for (let output = 0; output < loss.outputs; output++) {
      const root = growTree(workspace, output, limits);
      const { tree, binned } = flattenTree(root, settings.learningRate, output, data.edges, data.nonMissingBins);
      trees.push(tree);
      addLeafValues(root, workspace.rows, settings.learningRate, state.raw[output]!);
      if (validation) addBinnedTreeScores(binned, validation.data, validation.raw[output]!);
    }
    if (validation) validationLosses.push(loss.meanLoss(validation.target, validation.raw));
    if (onProgress) {
      onProgress({
        iteration, maxIterations: settings.maxIterations,
        trainLoss: loss.meanLoss(state.target, state.raw),
        ...(validation ? { validationLoss: validationLosses.at(-1)! } : {}),
      });
    }
    if (validation && shouldStopEarly(validationLosses, settings.nIterNoChange, settings.tol)) return iteration;
  }
  return settings.maxIterations;
}

function pickRows(values: Float64Array, rows: Uint32Array): Float64Array {
  const picked = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) picked[i] = values[rows[i]!]!;
  return picked;
}
