// The reads of the terminal UI that `sluice runs/show` do not need: a page of
// runs out of many thousands (the UI shows one screenful at a time), recent
// durations per pipeline, and a cheap "has anything changed" check. The
// connection is read-only: the UI never writes the state database.
import { UsageError } from '../diagnostics.js';
import { type Database, openStateDatabase } from './database.js';
import type { RunRow } from './run-store.js';

export interface RunPageQuery {
  /** Case-insensitive part of the pipeline, state or trigger, or a run id. */
  text?: string;
  offset: number;
  limit: number;
}

export interface RunPage {
  /** Runs matching the filter, of which `rows` is the window asked for. */
  total: number;
  rows: RunRow[];
}

/** A table the UI shows as it is (the model registry, when there is one). */
export interface TableContents {
  columns: string[];
  rows: Record<string, unknown>[];
}

/**
 * Opens the database for reading only, waiting up to `openWaitMs` for a lock
 * another process holds. Afterwards a read waits only briefly: a poller that
 * finds the database locked says so and tries again at its next poll rather
 * than freezing the screen.
 */
export function openStateReadOnly(file: string, openWaitMs = 5000): Database {
  let db: Database;
  try {
    db = openStateDatabase(file, { mustExist: true, readonly: true, busyTimeoutMs: openWaitMs });
  } catch (error) {
    if (isLockedError(error)) {
      throw new UsageError(`the state database ${file} is locked by another process; try again when it has let go`, 1);
    }
    throw error;
  }
  db.pragma('busy_timeout = 200');
  return db;
}

export function isLockedError(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

export class RunQueries {
  private readonly statements: ReturnType<typeof prepare>;

  constructor(readonly db: Database) {
    this.statements = prepare(db);
  }

  /**
   * A number that changes whenever another connection commits: polling it
   * costs next to nothing, so the UI rereads only after a change.
   */
  dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  runPage(query: RunPageQuery): RunPage {
    const s = this.statements;
    const text = query.text?.trim() ? query.text.trim() : null;
    const pattern = text === null ? null : `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const id = text !== null && /^#?\d+$/.test(text) ? Number(text.replace('#', '')) : null;
    const filter = { text, pattern, id };
    const total = (s.countRuns.get(filter) as { n: number }).n;
    const rows = s.pageRuns.all({ ...filter, limit: query.limit, offset: query.offset }) as RunRow[];
    return { total, rows };
  }

  /** Durations of the finished runs of `pipeline` up to run `upToRunId`, oldest first. */
  recentDurations(pipeline: string, upToRunId: number, count: number): number[] {
    const rows = this.statements.recentDurations.all(pipeline, upToRunId, count) as { ms: number }[];
    return rows.map((row) => row.ms).reverse();
  }

  /** The newest run of the pipeline, of one trigger type when given. */
  latestRun(pipeline: string, triggerType?: string): RunRow | undefined {
    return this.statements.latestRun.get(pipeline, triggerType ?? null, triggerType ?? null) as RunRow | undefined;
  }

  hasTable(name: string): boolean {
    return this.statements.hasTable.get(name) !== undefined;
  }

  /** Pauses set with `sluice pause/unpause` (they override the YAML's `paused`); none before the scheduler's tables exist. */
  schedulePauses(): Map<string, boolean> {
    if (!this.hasTable('schedule_pauses')) return new Map();
    const rows = this.db.prepare('SELECT pipeline, paused FROM schedule_pauses').all() as { pipeline: string; paused: number }[];
    return new Map(rows.map((row) => [row.pipeline, row.paused === 1]));
  }

  /** Up to `limit` rows of a table, newest (highest rowid) first. */
  tableContents(name: string, limit: number): TableContents {
    if (!this.hasTable(name)) return { columns: [], rows: [] };
    const quoted = `"${name.replace(/"/g, '""')}"`;
    const columns = (this.db.prepare(`SELECT name FROM pragma_table_info(?)`).all(name) as { name: string }[]).map((c) => c.name);
    const rows = this.db.prepare(`SELECT * FROM ${quoted} ORDER BY rowid DESC LIMIT ?`).all(limit) as Record<string, unknown>[];
    return { columns, rows };
  }
}

const FILTER = `(@text IS NULL OR pipeline LIKE @pattern ESCAPE '\\' OR state LIKE @pattern ESCAPE '\\'
  OR trigger_type LIKE @pattern ESCAPE '\\' OR id = @id)`;

function prepare(db: Database) {
  return {
    countRuns: db.prepare(`SELECT count(*) AS n FROM runs WHERE ${FILTER}`),
    pageRuns: db.prepare(`SELECT * FROM runs WHERE ${FILTER} ORDER BY id DESC LIMIT @limit OFFSET @offset`),
    recentDurations: db.prepare(`SELECT end_ms - start_ms AS ms FROM runs
      WHERE pipeline = ? AND id <= ? AND end_ms IS NOT NULL AND start_ms IS NOT NULL ORDER BY id DESC LIMIT ?`),
    latestRun: db.prepare(`SELECT * FROM runs WHERE pipeline = ? AND (? IS NULL OR trigger_type = ?) ORDER BY id DESC LIMIT 1`),
    hasTable: db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?`),
  };
}
