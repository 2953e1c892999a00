// The in-memory reference predictor: applies a FeaturePlan and a FittedModel
// in float64, with the same rules the ONNX graph encodes, so the two can be
// checked against each other and models can be scored without onnxruntime.
import type { FeaturePlan, FittedModel, LearningTask, LinearModel, NumericStep, TreeEnsembleModel } from './model-spec.js';

/** The plan's model features, feature-major (one Float64Array per feature), from raw columns. */
export function applyFeaturePlan(plan: FeaturePlan, table: Record<string, Float64Array | string[]>): Float64Array[] {
  const features: Float64Array[] = [];
  for (const transform of plan.columns) {
    const column = table[transform.column];
    if (column === undefined) {
      const known = Object.keys(table);
      throw new Error(`the feature plan reads column '${transform.column}' but the data has no such column`
        + ` (it has ${known.length ? known.map((name) => `'${name}'`).join(', ') : 'no columns'})`);
    }
    if (transform.kind === 'numeric') {
      if (Array.isArray(column)) throw new Error(`column '${transform.column}' is numeric in the feature plan but holds strings`);
      features.push(applyNumericSteps(column, transform.steps));
    } else {
      if (!Array.isArray(column)) throw new Error(`column '${transform.column}' is one-hot encoded in the feature plan but holds numbers; give its values as strings`);
      features.push(...oneHot(column, transform.categories));
    }
  }
  return features;
}

function applyNumericSteps(column: Float64Array, steps: NumericStep[]): Float64Array {
  // The ONNX graph takes float32 inputs and computes each step in float32;
  // rounding the same way here keeps a value that sits on a tree's split on
  // the same side in both (float64 would differ in the last bits).
  const f = Math.fround;
  const values = Float64Array.from(column, f);
  for (const step of steps) {
    switch (step.op) {
      case 'impute': {
        const fill = f(step.value);
        for (let row = 0; row < values.length; row += 1) if (Number.isNaN(values[row])) values[row] = fill;
        break;
      }
      case 'clip': {
        // Math.max/min keep NaN as NaN, as ONNX Max/Min do.
        const low = step.min === undefined ? -Infinity : f(step.min);
        const high = step.max === undefined ? Infinity : f(step.max);
        for (let row = 0; row < values.length; row += 1) values[row] = Math.min(Math.max(values[row]!, low), high);
        break;
      }
      case 'log1p':
        // In float64 like the graph's Log (see feature-graph.ts), rounded once.
        for (let row = 0; row < values.length; row += 1) values[row] = f(Math.log(values[row]! + 1));
        break;
      case 'scale': {
        const offset = f(step.offset);
        const scale = f(step.scale);
        for (let row = 0; row < values.length; row += 1) values[row] = f(f(values[row]! - offset) * scale);
        break;
      }
    }
  }
  return values;
}

function oneHot(column: string[], categories: string[]): Float64Array[] {
  const indexOf = new Map(categories.map((category, index) => [category, index]));
  const features = categories.map(() => new Float64Array(column.length));
  column.forEach((value, row) => {
    const index = indexOf.get(value);
    // An unseen value (or a missing one) leaves the row all zeros.
    if (index !== undefined) features[index]![row] = 1;
  });
  return features;
}

/** Raw scores, row-major n × outputs (see model-spec.ts for what a score means per task). */
export function predictScores(model: FittedModel, features: Float64Array[]): Float64Array {
  const rows = features[0]?.length ?? 0;
  if (features.some((feature) => feature.length !== rows)) throw new Error('every feature column must have the same number of rows');
  return model.type === 'linear' ? linearScores(model, features, rows) : treeScores(model, features, rows);
}

function linearScores(model: LinearModel, features: Float64Array[], rows: number): Float64Array {
  const outputs = model.weights.length;
  const scores = new Float64Array(rows * outputs);
  model.weights.forEach((weights, output) => {
    if (weights.length !== features.length) {
      throw new Error(`the linear model has ${weights.length} weights per output but ${features.length} features were given`);
    }
    const intercept = model.intercepts[output] ?? 0;
    for (let row = 0; row < rows; row += 1) scores[row * outputs + output] = intercept;
    // Feature-major loops read each column once, in order.
    weights.forEach((weight, index) => {
      const column = features[index]!;
      for (let row = 0; row < rows; row += 1) {
        const at = row * outputs + output;
        scores[at] = scores[at]! + weight * column[row]!;
      }
    });
  });
  return scores;
}

function treeScores(model: TreeEnsembleModel, features: Float64Array[], rows: number): Float64Array {
  const outputs = model.baseScores.length;
  const scores = new Float64Array(rows * outputs);
  for (let row = 0; row < rows; row += 1) {
    for (let output = 0; output < outputs; output += 1) scores[row * outputs + output] = model.baseScores[output]!;
  }
  for (const tree of model.trees) {
    for (const feature of tree.feature) {
      if (feature >= features.length) throw new Error(`a tree splits on feature ${feature} but only ${features.length} features were given`);
    }
    for (let row = 0; row < rows; row += 1) {
      let node = 0;
      while (tree.feature[node] !== -1) {
        const value = features[tree.feature[node]!]![row]!;
        const goLeft = Number.isNaN(value) ? tree.missingGoesLeft[node] : Math.fround(value) <= tree.threshold[node]!;
        node = goLeft ? tree.left[node]! : tree.right[node]!;
      }
      const at = row * outputs + tree.output;
      scores[at] = scores[at]! + tree.value[node]!;
    }
  }
  return scores;
}

/** Scores to outputs: binary → n×2 [1 - p, p]; multiclass → softmax n×K; regression → the scores themselves. */
export function scoresToProbabilities(task: LearningTask, scores: Float64Array, outputs: number): Float64Array {
  if (task === 'regression') return scores;
  if (task === 'binary') {
    if (outputs !== 1) throw new Error(`a binary model has one score per row, not ${outputs}`);
    const probabilities = new Float64Array(scores.length * 2);
    scores.forEach((score, row) => {
      const positive = 1 / (1 + Math.exp(-score));
      probabilities[row * 2] = 1 - positive;
      probabilities[row * 2 + 1] = positive;
    });
    return probabilities;
  }
  return softmaxRows(scores, outputs);
}

function softmaxRows(scores: Float64Array, outputs: number): Float64Array {
  const probabilities = new Float64Array(scores.length);
  for (let start = 0; start < scores.length; start += outputs) {
    // Subtracting the row's maximum keeps exp() from overflowing.
    let highest = -Infinity;
    for (let output = 0; output < outputs; output += 1) highest = Math.max(highest, scores[start + output]!);
    let total = 0;
    for (let output = 0; output < outputs; output += 1) {
      const weight = Math.exp(scores[start + output]! - highest);
      probabilities[start + output] = weight;
      total += weight;
    }
    for (let output = 0; output < outputs; output += 1) probabilities[start + output] = probabilities[start + output]! / total;
  }
  return probabilities;
}
