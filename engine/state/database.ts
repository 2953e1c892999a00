// Opens the state database: one SQLite file in WAL mode, so that `sluice
// show` and the UI read while a runner writes. better-sqlite3 is loaded
// lazily: `sluice validate` never needs it.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { UsageError } from '../diagnostics.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';

export type Database = BetterSqlite3.Database;

const require = createRequire(import.meta.url);

export interface OpenOptions {
  /** Open an existing database only; do not create it. */
  mustExist?: boolean;
  readonly?: boolean;
  /** How long to wait for another process's lock before failing (default 10 s). */
  busyTimeoutMs?: number;
}

export function openStateDatabase(file: string, options: OpenOptions = {}): Database {
  const Sqlite = require('better-sqlite3') as typeof BetterSqlite3;
  if (!options.mustExist) mkdirSync(dirname(file), { recursive: true });
  let db: Database;
  try {
    db = new Sqlite(file, { fileMustExist: options.mustExist ?? false, readonly: options.readonly ?? false });
  } catch (error) {
    const reason = (error as Error).message;
    if (/unable to open|does not exist/i.test(reason)) {
      throw new UsageError(`no state database at ${file}: nothing has run here yet (run a pipeline with 'sluice run', or point --state / SLUICE_HOME at another one)`);
    }
    throw new UsageError(`cannot open the state database ${file}: ${reason}`);
  }
  try {
    // Another process may hold the write lock for a moment (a runner committing).
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
    if (!options.readonly) {
      enableWal(db);
      // In WAL mode NORMAL keeps every commit through a crash of the process
      // (kill -9), which is what a runner must survive; only a power loss can
      // drop the last commits. SLUICE_SYNCHRONOUS=FULL trades speed for that too.
      db.pragma(`synchronous = ${process.env.SLUICE_SYNCHRONOUS === 'FULL' ? 'FULL' : 'NORMAL'}`);
      db.pragma('foreign_keys = ON');
      migrate(db, file);
    } else {
      checkVersion(db, file);
    }
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === 'SQLITE_NOTADB') {
      throw new UsageError(`${file} is not a SQLite database; move it away or point --state / SLUICE_HOME elsewhere`);
    }
    throw error;
  }
  return db;
}

/**
 * Switching to WAL needs the database to itself for a moment, and SQLite
 * answers "locked" at once, without waiting for busy_timeout, when another
 * process is doing the same to a new database: retry for a while.
 */
function enableWal(db: Database): void {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
}

function checkVersion(db: Database, file: string): number {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new UsageError(`the state database ${file} has schema version ${version}, newer than this Sluice understands (${SCHEMA_VERSION}); upgrade Sluice`);
  }
  return version;
}

function migrate(db: Database, file: string): void {
  if (checkVersion(db, file) === SCHEMA_VERSION) return;
  // IMMEDIATE: two processes opening a new database at once migrate it once.
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    for (let step = current; step < SCHEMA_VERSION; step++) db.exec(MIGRATIONS[step]!);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
