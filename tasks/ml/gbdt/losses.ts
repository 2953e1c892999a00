// The three losses boosting descends, as scikit-learn's _loss module defines
// them: half binomial deviance (binary), half multinomial deviance
// (multiclass, one tree per class and iteration) and half squared error
// (regression). Raw scores are per output, feature-major: raw[output][row].
// Gradients and hessians are float32, as in scikit-learn, which halves the
// memory the histogram loops read.
import type { LearningTask } from '../model-spec.js';

export interface BoostingLoss {
  /** Trees per iteration = raw scores per row. */
  outputs: number;
  /** Squared error's hessian is 1 everywhere, so histograms count rows instead of summing hessians. */
  constantHessian: boolean;
  /** The score before any tree: prior log-odds, symmetric class log-priors or mean. */
  baseline(target: Float64Array): number[];
  /** Gradients and hessians of rows start..stop (two threads may each take a range). */
  updateGradients(target: Float64Array, raw: Float64Array[], gradients: Float32Array[], hessians: Float32Array[], start: number, stop: number): void;
  /** Mean loss over the rows, for early stopping and progress. */
  meanLoss(target: Float64Array, raw: Float64Array[]): number;
}

export function lossFor(task: LearningTask, nClasses: number): BoostingLoss {
  if (task === 'binary') return binomialLoss;
  if (task === 'multiclass') return multinomialLoss(nClasses);
  return squaredErrorLoss;
}

const binomialLoss: BoostingLoss = {
  outputs: 1,
  constantHessian: false,
  baseline(target) {
    // scikit-learn clips the prior away from 0 and 1 by 10 machine epsilons.
    const epsilon = 10 * Number.EPSILON;
    const prior = Math.min(Math.max(mean(target), epsilon), 1 - epsilon);
    return [Math.log(prior / (1 - prior))];
  },
  updateGradients(target, raw, gradients, hessians, start, stop) {
    const scores = raw[0]!;
    const gradient = gradients[0]!;
    const hessian = hessians[0]!;
    for (let row = start; row < stop; row++) {
      const score = scores[row]!;
      const label = target[row]!;
      if (score > -37) {
        const e = Math.exp(-score);
        const inverse = 1 / (1 + e);
        gradient[row] = (1 - label - label * e) * inverse;
        hessian[row] = e * inverse * inverse;
      } else {
        // exp(-score) would overflow; here p = exp(score) to double precision.
        const p = Math.exp(score);
        gradient[row] = p - label;
        hessian[row] = p;
      }
    }
  },
  meanLoss(target, raw) {
    const scores = raw[0]!;
    let total = 0;
    for (let row = 0; row < target.length; row++) {
      const score = scores[row]!;
      // log(1 + e^s) - y·s, written to neither overflow nor lose small terms.
      const softplus = score > 0 ? score + Math.log1p(Math.exp(-score)) : Math.log1p(Math.exp(score));
      total += softplus - target[row]! * score;
    }
    return total / target.length;
  },
};

function multinomialLoss(nClasses: number): BoostingLoss {
  const probabilities = new Float64Array(nClasses);
  return {
    outputs: nClasses,
    constantHessian: false,
    baseline(target) {
      // Symmetric multinomial logit of the clipped class priors: log p_k - mean(log p).
      const counts = new Float64Array(nClasses);
      for (let row = 0; row < target.length; row++) counts[target[row]!]! += 1;
      const logPriors = Array.from(counts, (count) => Math.log(Math.min(Math.max(count / target.length, Number.EPSILON), 1 - Number.EPSILON)));
      const meanLog = logPriors.reduce((sum, value) => sum + value, 0) / nClasses;
      return logPriors.map((value) => value - meanLog);
    },
    updateGradients(target, raw, gradients, hessians, start, stop) {
      for (let row = start; row < stop; row++) {
        softmaxInto(raw, row, probabilities);
        const label = target[row]!;
        for (let k = 0; k < nClasses; k++) {
          const p = probabilities[k]!;
          gradients[k]![row] = label === k ? p - 1 : p;
          hessians[k]![row] = p * (1 - p);
        }
      }
    },
    meanLoss(target, raw) {
      let total = 0;
      for (let row = 0; row < target.length; row++) {
        let highest = -Infinity;
        for (let k = 0; k < nClasses; k++) highest = Math.max(highest, raw[k]![row]!);
        let sum = 0;
        for (let k = 0; k < nClasses; k++) sum += Math.exp(raw[k]![row]! - highest);
        total += Math.log(sum) + highest - raw[target[row]!]![row]!;
      }
      return total / target.length;
    },
  };
}

/** Softmax of one row's scores, shifted by their maximum so that exp cannot overflow. */
function softmaxInto(raw: Float64Array[], row: number, out: Float64Array): void {
  let highest = -Infinity;
  for (let k = 0; k < out.length; k++) highest = Math.max(highest, raw[k]![row]!);
  let sum = 0;
  for (let k = 0; k < out.length; k++) {
    const e = Math.exp(raw[k]![row]! - highest);
    out[k] = e;
    sum += e;
  }
  for (let k = 0; k < out.length; k++) out[k] = out[k]! / sum;
}

const squaredErrorLoss: BoostingLoss = {
  outputs: 1,
  constantHessian: true,
  baseline: (target) => [mean(target)],
  updateGradients(target, raw, gradients, hessians, start, stop) {
    const scores = raw[0]!;
    const gradient = gradients[0]!;
    for (let row = start; row < stop; row++) gradient[row] = scores[row]! - target[row]!;
    hessians[0]!.fill(1, start, stop);
  },
  meanLoss(target, raw) {
    const scores = raw[0]!;
    let total = 0;
    for (let row = 0; row < target.length; row++) {
      const residual = target[row]! - scores[row]!;
      total += residual * residual;
    }
    return (0.5 * total) / target.length;
  },
};

function mean(values: Float64Array): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i]!;
  return total / values.length;
}
