// The record of dataset versions: which content-addressed Parquet file holds
// version N of a dataset, its columns, row count and where it came from.
// Publishing the same content under a name again returns the version that
// already holds it, so re-running an unchanged ingest adds no version.
import type { Database } from './database.js';

export interface DatasetColumn {
  name: string;
  /** Sluice's column type: integer, number, string, boolean, date or timestamp. */
  type: string;
}

export interface DatasetVersion {
  name: string;
  version: number;
  contentHash: string;
  /** Absolute path of the Parquet file. */
  file: string;
  columns: DatasetColumn[];
  rowCount: number;
  /** What it was made from: a path or glob, or the input datasets of a feature task. */
  source: string;
  /** The fitted feature transform that travels with models trained on it (feature task). */
  featurePlan?: unknown;
  /** How rows were split into train and test, as declared (feature task). */
  split?: unknown;
  target?: string;
  runId?: number;
  taskKey?: string;
  createdMs: number;
}

export type NewDatasetVersion = Omit<DatasetVersion, 'version' | 'createdMs'>;

interface Row {
  name: string;
  version: number;
  content_hash: string;
  file: string;
  schema_json: string;
  row_count: number;
  source: string;
  feature_plan_json: string | null;
  split_json: string | null;
  target: string | null;
  run_id: number | null;
  task_key: string | null;
  created_ms: number;
}

export class DatasetCatalog {
  constructor(private readonly db: Database) {}

  /** Records a version (or finds the one with the same content) in one transaction. */
  publish(entry: NewDatasetVersion, nowMs = Date.now()): { version: DatasetVersion; created: boolean } {
    return this.db.transaction(() => {
      const same = this.db.prepare('SELECT * FROM dataset_versions WHERE name = ? AND content_hash = ?').get(entry.name, entry.contentHash) as Row | undefined;
      if (same) return { version: fromRow(same), created: false };
      const last = this.db.prepare('SELECT max(version) AS version FROM dataset_versions WHERE name = ?').get(entry.name) as { version: number | null };
      const version = (last.version ?? 0) + 1;
      this.db.prepare(`INSERT INTO dataset_versions (name, version, content_hash, file, schema_json, row_count, source, feature_plan_json,
        split_json, target, run_id, task_key, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
        entry.name, version, entry.contentHash, entry.file, JSON.stringify(entry.columns), entry.rowCount, entry.source,
        json(entry.featurePlan), json(entry.split), entry.target ?? null, entry.runId ?? null, entry.taskKey ?? null, nowMs);
      return { version: { ...entry, version, createdMs: nowMs }, created: true };
    }).immediate();
  }

  /** A version by number, or the latest one without a number. */
  find(name: string, version?: number): DatasetVersion | undefined {
    const row = version === undefined
      ? this.db.prepare('SELECT * FROM dataset_versions WHERE name = ? ORDER BY version DESC LIMIT 1').get(name)
      : this.db.prepare('SELECT * FROM dataset_versions WHERE name = ? AND version = ?').get(name, version);
    return row ? fromRow(row as Row) : undefined;
  }

  versions(name: string): DatasetVersion[] {
    return (this.db.prepare('SELECT * FROM dataset_versions WHERE name = ? ORDER BY version').all(name) as Row[]).map(fromRow);
  }

  names(): string[] {
    return (this.db.prepare('SELECT DISTINCT name FROM dataset_versions ORDER BY name').all() as { name: string }[]).map((row) => row.name);
  }
}

function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

function fromRow(row: Row): DatasetVersion {
  return {
    name: row.name,
    version: row.version,
    contentHash: row.content_hash,
    file: row.file,
    columns: JSON.parse(row.schema_json) as DatasetColumn[],
    rowCount: row.row_count,
    source: row.source,
    ...(row.feature_plan_json === null ? {} : { featurePlan: JSON.parse(row.feature_plan_json) as unknown }),
    ...(row.split_json === null ? {} : { split: JSON.parse(row.split_json) as unknown }),
    ...(row.target === null ? {} : { target: row.target }),
    ...(row.run_id === null ? {} : { runId: row.run_id }),
    ...(row.task_key === null ? {} : { taskKey: row.task_key }),
    createdMs: row.created_ms,
  };
}
