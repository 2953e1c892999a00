// Histogram gradient-boosted trees, modelled on scikit-learn 1.2's
// HistGradientBoostingClassifier/Regressor: fit on feature-major float64
// columns (NaN = missing), get a TreeEnsembleModel, score rows with it.
export { fitGradientBoosting, type BoostingProgress, type GradientBoostingFit } from './boosting.js';
export type { GradientBoostingOptions } from './fit-inputs.js';
export { treeEnsembleScores } from './predict.js';
