// Raw scores of a tree ensemble on feature-major rows, with the stored
// float32 thresholds and inputs rounded to float32 as the ONNX graph takes
// them, so that these scores are the ones it computes.
import type { RegressionTree, TreeEnsembleModel } from '../model-spec.js';

/** Row-major n × outputs raw scores: base score plus every tree's leaf value. */
export function treeEnsembleScores(model: TreeEnsembleModel, columns: Float64Array[]): Float64Array {
  const outputs = model.baseScores.length;
  const rows = columns[0]?.length ?? 0;
  checkColumns(model, columns, rows);
  const scores = new Float64Array(rows * outputs);
  for (let row = 0; row < rows; row++) {
    for (let k = 0; k < outputs; k++) scores[row * outputs + k] = model.baseScores[k]!;
  }
  for (const tree of model.trees) addTreeScores(tree, columns, outputs, scores);
  return scores;
}

function checkColumns(model: TreeEnsembleModel, columns: Float64Array[], rows: number): void {
  let used = 0;
  for (const tree of model.trees) for (const feature of tree.feature) used = Math.max(used, feature + 1);
  if (columns.length < used) {
    throw new Error(`tree ensemble: the model reads ${used} features but ${columns.length} columns were given; pass the columns the model was trained on, in order`);
  }
  columns.forEach((column, feature) => {
    if (column.length !== rows) {
      throw new Error(`tree ensemble: column ${feature} has ${column.length} rows but column 0 has ${rows}; every column needs one value per row`);
    }
  });
}

function addTreeScores(tree: RegressionTree, columns: Float64Array[], outputs: number, scores: Float64Array): void {
  const { feature, threshold, left, right, missingGoesLeft, value } = tree;
  const rows = scores.length / outputs;
  for (let row = 0; row < rows; row++) {
    let node = 0;
    while (feature[node]! >= 0) {
      const x = columns[feature[node]!]![row]!;
      // NaN fails every comparison, so it takes the learned direction.
      const goLeft = x !== x ? missingGoesLeft[node]! : Math.fround(x) <= threshold[node]!;
      node = goLeft ? left[node]! : right[node]!;
    }
    scores[row * outputs + tree.output] = scores[row * outputs + tree.output]! + value[node]!;
  }
}
