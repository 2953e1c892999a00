// Datasets as content-addressed Parquet files under the state home, with
// their versions recorded in the state database. A file is written under a
// temporary name and renamed only once complete, so a crash never leaves a
// half-written dataset that the catalog points at.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isProcessAlive } from '../../engine/execute/process-control.js';
import { DatasetCatalog, type DatasetVersion, type NewDatasetVersion } from '../../engine/state/dataset-catalog.js';
import { openStateDatabase, type Database } from '../../engine/state/database.js';
import { TaskInputError, type TaskContext } from '../runtime/task-context.js';
import { registerTempFile } from '../runtime/temp-files.js';
import { describeColumns } from './column-types.js';
import { formatDatasetUri, parseDatasetUri } from './dataset-uri.js';
import { queryRows, sqlString, type DuckDBConnection } from './duckdb.js';

const INCOMING = '.incoming-';

/**
 * Removes the temporary files of writers that are gone: a task killed with
 * SIGKILL (or a machine that went down) cannot remove its own.
 */
function sweepAbandoned(folder: string): void {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = /^\.incoming-(\d+)-\d+\.parquet$/.exec(name)?.[1];
    if (pid !== undefined && Number(pid) !== process.pid && !isProcessAlive(Number(pid))) rmSync(join(folder, name), { force: true });
  }
}

export interface PublishRequest extends Omit<NewDatasetVersion, 'contentHash' | 'file' | 'columns' | 'rowCount'> {}

export interface PublishedDataset {
  version: DatasetVersion;
  uri: string;
  created: boolean;
}

/** The statement that writes the rows of `sql` to `file` as every dataset is stored: Parquet, zstd. */
export function parquetCopySql(sql: string, file: string): string {
  return `COPY (${sql}) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd)`;
}

export class DatasetStore {
  private readonly catalog: DatasetCatalog;

  constructor(private readonly db: Database, private readonly folder: string) {
    this.catalog = new DatasetCatalog(db);
  }

  static open(context: Pick<TaskContext, 'stateDatabase' | 'datasetsDir'>): DatasetStore {
    sweepAbandoned(context.datasetsDir);
    return new DatasetStore(openStateDatabase(context.stateDatabase), context.datasetsDir);
  }

  close(): void {
    this.db.close();
  }

  /** Writes the rows of `sql` as a new version of a dataset (or finds the version with the same content). */
  publish(connection: DuckDBConnection, sql: string, request: PublishRequest): Promise<PublishedDataset> {
    return this.publishWritten(connection, (file) => connection.run(parquetCopySql(sql, file)).then(() => undefined), request);
  }

  /**
   * Publishes the Parquet file that `write` writes (with parquetCopySql) at
   * the path it is given; a failed write leaves no file behind. `connection`
   * reads the written file's columns and row count.
   */
  async publishWritten(connection: DuckDBConnection, write: (file: string) => Promise<void>, request: PublishRequest): Promise<PublishedDataset> {
    mkdirSync(this.folder, { recursive: true });
    const temporary = join(this.folder, `${INCOMING}${process.pid}-${Date.now()}.parquet`);
    const release = registerTempFile(temporary);
    try {
      await write(temporary);
      const fileHash = await sha256File(temporary);
      const file = join(this.folder, `${fileHash}.parquet`);
      if (existsSync(file)) rmSync(temporary);
      else renameSync(temporary, file);
      const described = await queryRows(connection, `DESCRIBE SELECT * FROM read_parquet(${sqlString(file)})`);
      const counted = await queryRows(connection, `SELECT count(*) AS n FROM read_parquet(${sqlString(file)})`);
      const { version, created } = this.catalog.publish({
        ...request, contentHash: versionHash(fileHash, request), file, columns: describeColumns(described), rowCount: Number(counted[0]!.n),
      });
      return { version, uri: formatDatasetUri(version.name, version.version), created };
    } finally {
      rmSync(temporary, { force: true });
      release();
    }
  }

  /** The version a `dataset://` URI names; a clear error when there is none. */
  resolve(uri: string, where: string): DatasetVersion {
    const reference = parseDatasetUri(uri, where);
    const found = this.catalog.find(reference.name, reference.version);
    if (!found) {
      const known = this.catalog.versions(reference.name);
      if (known.length === 0) {
        const names = this.catalog.names();
        throw new TaskInputError(`${where}: there is no dataset '${reference.name}'${names.length ? ` (known: ${names.join(', ')})` : ' (no dataset has been ingested yet)'}`);
      }
      throw new TaskInputError(`${where}: dataset '${reference.name}' has no version ${reference.version} (versions: 1–${known.at(-1)!.version})`);
    }
    if (!existsSync(found.file)) {
      throw new TaskInputError(`${where}: the file of ${formatDatasetUri(found.name, found.version)} is missing (${found.file}); ingest it again`);
    }
    return found;
  }

  /** The latest version of a dataset, if any. */
  latest(name: string): DatasetVersion | undefined {
    return this.catalog.find(name);
  }
}

/**
 * What makes two versions the same: the rows, and for a feature dataset the
 * target, split and fitted plan that train reads from the catalog (a new
 * clip step on the same rows must give a new version). Versions with the
 * same rows share one file, named by the rows' hash alone.
 */
function versionHash(fileHash: string, request: PublishRequest): string {
  const { featurePlan, split, target } = request;
  if (featurePlan === undefined && split === undefined && target === undefined) return fileHash;
  return createHash('sha256').update(`${fileHash}\n${JSON.stringify({ featurePlan, split, target })}`).digest('hex');
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    createReadStream(file).on('data', (chunk) => hash.update(chunk)).on('error', reject).on('end', () => resolvePromise(hash.digest('hex')));
  });
}
