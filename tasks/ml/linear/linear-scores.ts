// Raw scores of a linear model (before the logistic or softmax link), used
// to evaluate a fitted model and to check its ONNX graph.
import type { LinearModel } from '../model-spec.js';

/** Row-major n × outputs scores w_k·x + b_k; NaN inputs give NaN scores. */
export function linearScores(model: LinearModel, columns: Float64Array[]): Float64Array {
  const outputs = model.weights.length;
  const features = model.weights[0]?.length ?? 0;
  if (outputs === 0 || model.intercepts.length !== outputs) {
    throw new Error(`linear model has ${outputs} weight rows and ${model.intercepts.length} intercepts; they must match and be at least one`);
  }
  if (columns.length !== features) {
    throw new Error(`the linear model expects ${features} feature columns, got ${columns.length}`);
  }
  const rows = columns[0]?.length ?? 0;
  columns.forEach((column, f) => {
    if (column.length !== rows) throw new Error(`feature ${f} has ${column.length} rows but feature 0 has ${rows}`);
  });
  const scores = new Float64Array(rows * outputs);
  const output = new Float64Array(rows);
  for (let k = 0; k < outputs; k++) {
    const weights = model.weights[k]!;
    if (weights.length !== features) throw new Error(`linear model weight row ${k} has ${weights.length} weights, expected ${features}`);
    // Accumulate one output contiguously, feature by feature, then interleave it.
    output.fill(model.intercepts[k]!);
    weights.forEach((weight, f) => {
      const column = columns[f]!;
      for (let row = 0; row < rows; row++) output[row]! += weight * column[row]!;
    });
    for (let row = 0; row < rows; row++) scores[row * outputs + k] = output[row]!;
  }
  return scores;
}
