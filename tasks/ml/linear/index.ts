// Linear models: logistic regression (binary and multinomial) and ridge /
// least-squares regression, fitted on feature-major Float64Array columns.
//
// Errors: a NaN or infinite value in a feature or the target throws
// `InvalidTrainingData`, whose `feature` (index into `columns`, or null for
// the target) and `row` fields let the caller name the column; other
// unusable input (no rows, mismatched lengths, one class, a singular
// least-squares system) throws a plain Error with the fix in its message.
export { fitLogisticRegression } from './logistic-regression.js';
export type { LogisticRegressionFit, LogisticRegressionOptions, LogisticRegressionProgress } from './logistic-regression.js';
export { fitRidge } from './ridge.js';
export type { RidgeOptions } from './ridge.js';
export { linearScores } from './linear-scores.js';
export { InvalidTrainingData } from './training-data.js';
