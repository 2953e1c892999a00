// The reference for prediction drift: what the model predicted on the rows it
// learned from, profiled under the column name batch_infer writes, so that a
// monitor task can compare the predictions of a scored batch with it.
import type { DatasetVersion } from '../../engine/state/dataset-catalog.js';
import { PREDICTION_COLUMN, probabilityColumn } from '../batch-infer/prediction-columns.js';
import type { DuckDBConnection } from '../data/duckdb.js';
import { loadModelTable, rawColumns } from '../data/model-table.js';
import type { ModelMetadata } from '../ml/model-spec.js';
import { openSession, runModel, type OnnxModelInfo } from '../ml/onnx/index.js';
import { profileCategoricalColumn, profileNumericColumn, type ColumnProfile } from '../monitor/profile.js';

/** The column of batch_infer's output that the profile describes, by kind of model. */
export function predictionColumnOf(metadata: ModelMetadata): string {
  const classes = metadata.classes ?? [];
  // A binary model's score is its positive class's probability; a label would hide most of its drift.
  return classes.length === 2 ? probabilityColumn(classes[1]!) : PREDICTION_COLUMN;
}

export async function predictionProfile(connection: DuckDBConnection, file: string, info: OnnxModelInfo, metadata: ModelMetadata,
  dataset: DatasetVersion): Promise<ColumnProfile> {
  const table = await loadModelTable(connection, dataset, metadata.plan, { split: 'train' });
  const session = await openSession(file);
  try {
    const predictions = await runModel(session, info, rawColumns(table), table.rows);
    const name = predictionColumnOf(metadata);
    const classes = metadata.classes ?? [];
    if (classes.length === 2) {
      const positive = new Float64Array(table.rows);
      for (let row = 0; row < table.rows; row++) positive[row] = predictions.probabilities![row * 2 + 1]!;
      return profileNumericColumn(name, positive);
    }
    if (classes.length > 2) return profileCategoricalColumn(name, Array.from(predictions.labels!, (index) => classes[index]!));
    return profileNumericColumn(name, predictions.values!);
  } finally {
    await session.release();
  }
}
