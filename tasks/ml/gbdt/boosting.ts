// The boosting loop of scikit-learn's HistGradientBoosting: bin the features
// once, start every row at the baseline score, then each iteration compute
// the loss gradients and grow one tree per output on them, adding the
// shrunk leaf values to the scores; stop early on a held-out validation loss.
import type { LearningTask, RegressionTree, TreeEnsembleModel } from '../model-spec.js';
import { binRowsWithEdges, binTrainingRows } from './binning.js';
import { shouldStopEarly, validationSplit } from './early-stopping.js';
import { AUTO_EARLY_STOPPING_ROWS, checkTrainingData, resolveOptions, type BoostingSettings, type GradientBoostingOptions } from './fit-inputs.js';
import { prepareFit, scoredRows, type FitResources, type ScoredRows } from './fit-resources.js';
import { helperAvailable } from './helper-thread.js';
import { HALF_SPLIT_ROWS } from './histogram-builder.js';
import { lossFor, type BoostingLoss } from './losses.js';
import { seededRandom } from './seeded-random.js';
import { growTree, type GrowthLimits } from './tree-grower.js';
import { addBinnedTreeScores, addLeafValues, flattenTree } from './tree-model.js';

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

/** Fits with this many training rows start a helper thread (it takes tens of milliseconds to start). */
const HELPER_MIN_ROWS = 4 * HALF_SPLIT_ROWS;

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
  const trainingRows = split ? split.train.length : labels.length;
  const withHelper = trainingRows >= HELPER_MIN_ROWS && helperAvailable();
  const trainingData = binTrainingRows(columns, split?.train, settings.maxBins, random, withHelper);
  const trainTarget = split ? pickRows(labels, split.train) : labels;
  const baseScores = loss.baseline(trainTarget);
  const training = scoredRows(trainingData, trainTarget, baseScores);
  const validation = split
    ? scoredRows(binRowsWithEdges(columns, trainingData.edges, split.validation), pickRows(labels, split.validation), baseScores)
    : undefined;

  const trees: RegressionTree[] = [];
  const resources = prepareFit(training, loss, task, nClasses);
  try {
    const iterations = boost(resources, training, validation, loss, settings, trees, onProgress);
    return { model: { type: 'tree_ensemble', task, baseScores, trees }, iterations };
  } finally {
    resources.close();
  }
}

/** Runs the iterations, appending trees; returns how many iterations ran. */
function boost(
  resources: FitResources, training: ScoredRows, validation: ScoredRows | undefined, loss: BoostingLoss,
  settings: BoostingSettings, trees: RegressionTree[], onProgress: ((progress: BoostingProgress) => void) | undefined,
): number {
  const { workspace } = resources;
  const { data } = training;
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
  const validationLosses = validation ? [loss.meanLoss(validation.target, validation.raw)] : [];
  for (let iteration = 1; iteration <= settings.maxIterations; iteration++) {
    resources.updateGradients();
    for (let output = 0; output < loss.outputs; output++) {
      const root = growTree(workspace, output, limits);
      const { tree, binned } = flattenTree(root, settings.learningRate, output, data.edges, data.nonMissingBins);
      trees.push(tree);
      addLeafValues(root, workspace.rows, settings.learningRate, training.raw[output]!);
      if (validation) addBinnedTreeScores(binned, validation.data, validation.raw[output]!);
    }
    if (validation) validationLosses.push(loss.meanLoss(validation.target, validation.raw));
    if (onProgress) {
      onProgress({
        iteration, maxIterations: settings.maxIterations,
        trainLoss: loss.meanLoss(training.target, training.raw),
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
