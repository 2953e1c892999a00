// A LinearModel as ai.onnx.ml LinearClassifier / LinearRegressor.
import type { LinearModel } from '../model-spec.js';
import { GraphBuilder, ML_DOMAIN, attribute } from './graph-builder.js';

/**
 * Adds the estimator reading `features`; classifiers write `outputs.label`
 * and `outputs.probabilities`, regressors `outputs.variable`.
 */
export function addLinearEstimator(
  graph: GraphBuilder,
  model: LinearModel,
  features: string,
  outputs: { label: string; probabilities: string } | { variable: string },
): void {
  if ('variable' in outputs) {
    graph.addNode('LinearRegressor', [features], [
      attribute.floats('coefficients', model.weights.flat()),
      attribute.floats('intercepts', model.intercepts),
      attribute.int('targets', 1),
      attribute.string('post_transform', 'NONE'),
    ], { domain: ML_DOMAIN, outputs: [outputs.variable] });
    return;
  }
  const { coefficients, intercepts, classCount } = classifierRows(model);
  graph.addNode('LinearClassifier', [features], [
    attribute.floats('coefficients', coefficients),
    attribute.floats('intercepts', intercepts),
    attribute.ints('classlabels_ints', Array.from({ length: classCount }, (_, index) => index)),
    attribute.int('multi_class', 0),
    attribute.string('post_transform', model.task === 'binary' ? 'LOGISTIC' : 'SOFTMAX'),
  ], { domain: ML_DOMAIN, outputs: [outputs.label, outputs.probabilities] });
}

/**
 * Binary models carry one row (the positive class's log-odds). It is written
 * as two rows [-w, w] with intercepts [-b, b]: LOGISTIC then yields
 * [sigmoid(-s), sigmoid(s)] = [1 - p, p] with one explicit rule, instead of
 * relying on onnxruntime's special case for a single coefficient row.
 */
function classifierRows(model: LinearModel): { coefficients: number[]; intercepts: number[]; classCount: number } {
  if (model.task === 'binary') {
    const weights = model.weights[0]!;
    const intercept = model.intercepts[0]!;
    return {
      coefficients: [...weights.map((weight) => -weight), ...weights],
      intercepts: [-intercept, intercept],
      classCount: 2,
    };
  }
  return { coefficients: model.weights.flat(), intercepts: model.intercepts, classCount: model.weights.length };
}
