// Sets a fit up: allocates its arrays (in shared memory when a helper thread
// will share the work), bins the training rows, starts the scores at the
// baseline and builds what growing trees needs.
import type { LearningTask } from '../model-spec.js';
import { binnedFeatures, FEATURES_PER_WORD, type BinnedFeatures } from './binning.js';
import { allocateFitState, helperView, type FitState } from './fit-state.js';
import { histogramLayout } from './histogram.js';
import { HALF_SPLIT_ROWS, HistogramBuilder } from './histogram-builder.js';
import { HistogramPool } from './histogram-pool.js';
import { GrowerWorkspace } from './grower-workspace.js';
import type { BoostingLoss } from './losses.js';
import type { GrowthLimits } from './tree-grower.js';
import { helperAvailable, WorkQueue } from './work-queue.js';
import { Operation, performUnit, type ThreadScratch } from './work-units.js';

/** Fits with this many training rows share their work with a helper thread (starting one takes tens of milliseconds). */
const HELPER_MIN_ROWS = 32_768;
/** The helper bins half of the features only when copying the columns to shared memory costs at most this many values. */
const SHARED_BINNING_VALUES = 20_000_000;
/** Gradients are computed in this many parts on big fits (the helper takes some). */
const GRADIENT_PARTS = 8;

export interface Training {
  state: FitState;
  data: BinnedFeatures;
  workspace: GrowerWorkspace;
  baseScores: number[];
  /** Fills every training row's gradients and hessians from its current scores. */
  updateGradients(): void;
  /** Ends the fit: the helper thread, if any, lets go of its memory. */
  close(): void;
}

export interface TrainingInput {
  columns: Float64Array[];
  /** The training rows among the columns' rows (all when absent). */
  trainingRows: Uint32Array | undefined;
  /** Positions among the training rows that fit the bin edges (all when absent). */
  sample: Uint32Array | undefined;
  /** The training rows' labels or target. */
  target: Float64Array;
  task: LearningTask;
  nClasses: number;
  maxBins: number;
}

export function startTraining(input: TrainingInput, loss: BoostingLoss, limits: GrowthLimits): Training {
  const { columns, trainingRows, sample, target, task, nClasses, maxBins } = input;
  const rows = target.length;
  const withHelper = rows >= HELPER_MIN_ROWS && helperAvailable();
  const shareColumns = withHelper && rows * columns.length <= SHARED_BINNING_VALUES;
  const shape = { task, nClasses, maxBins, outputs: loss.outputs, constantHessian: loss.constantHessian, rules: limits.rules };
  const state = allocateFitState(shape, columns, trainingRows, sample, target, withHelper, shareColumns);
  const queue = new WorkQueue(withHelper);
  try {
    queue.send({ kind: 'fit', state: helperView(state, shareColumns) });
    const scratch: ThreadScratch = { spill: new Uint32Array(rows), loss, privateHistograms: [], secondHalves: new Float64Array(0) };
    const groups = Math.ceil(columns.length / FEATURES_PER_WORD);
    queue.run(Operation.binGroup, [], groups, shareColumns, (unit) => performUnit(state, scratch, Operation.binGroup, [], unit, groups));
    const data = binnedFeatures(state);
    const layout = histogramLayout(data.nonMissingBins, state.offsets);
    const pool = new HistogramPool(layout.length, limits.maxLeafNodes ?? rows, withHelper);
    Object.assign(state, { nonMissingBins: data.nonMissingBins, histogramLength: layout.length, histogramBlock: pool.block });
    queue.send({ kind: 'memory', memory: { nonMissingBins: data.nonMissingBins, histogramLength: layout.length, histogramBlock: pool.block } });
    scratch.secondHalves = pool.secondHalves;
    const baseScores = loss.baseline(state.target);
    state.raw.forEach((scores, output) => scores.fill(baseScores[output]!));
    const histograms = new HistogramBuilder(state, data, layout, queue, scratch);
    const workspace = new GrowerWorkspace(state, data, layout, histograms, pool, queue, scratch);
    const parts = rows >= HALF_SPLIT_ROWS ? GRADIENT_PARTS : 1;
    return {
      state, data, workspace, baseScores,
      updateGradients: () => queue.run(Operation.gradients, [parts], parts, parts > 1, (unit) => performUnit(state, scratch, Operation.gradients, [parts], unit, parts)),
      close: () => queue.close(),
    };
  } catch (error) {
    queue.close();
    throw error;
  }
}
