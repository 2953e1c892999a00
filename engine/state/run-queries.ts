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

/** A registered model as the UI lists it: its versions oldest first, its aliases. */
export interface ModelSummary {
  name: string;
  versions: ModelVersionSummary[];
  /** Alias → version. */
  aliases: Record<string, number>;
}

export interface ModelVersionSummary {
  version: number;
  createdMs: number;
  metrics: Record<string, number>;
  runId?: number;
}

/** The newest monitor verdict whose reference was a version of a model. */
export interface DriftVerdict {
  runId: number;
  taskKey: string;
  /** The version whose stored profile was the reference. */
  version: number;
  detected: boolean;
  /** Drifted / monitored features. */
  shareDrifted: number;
  features: number;
  driftedFeatures: string[];
  /** Each feature's PSI (null when a side had no values); absent before monitors wrote `feature_psi`. */
  featurePsi?: Record<string, number | null>;
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

  /** Every registered model with its versions and aliases; undefined while the database has no registry (an older one). */
  registeredModels(): ModelSummary[] | undefined {
    if (!this.hasTable('registered_models') || !this.hasTable('model_versions')) return undefined;
    const models = new Map<string, ModelSummary>();
    for (const row of this.db.prepare('SELECT name FROM registered_models ORDER BY name').all() as { name: string }[]) {
      models.set(row.name, { name: row.name, versions: [], aliases: {} });
    }
    const versions = this.db.prepare('SELECT name, version, created_ms, metrics_json, run_id FROM model_versions ORDER BY name, version')
      .all() as { name: string; version: number; created_ms: number; metrics_json: string; run_id: number | null }[];
    for (const row of versions) {
      models.get(row.name)?.versions.push({
        version: row.version, createdMs: row.created_ms, metrics: numbersOf(row.metrics_json), ...(row.run_id === null ? {} : { runId: row.run_id }),
      });
    }
    if (this.hasTable('model_aliases')) {
      for (const row of this.db.prepare('SELECT name, alias, version FROM model_aliases ORDER BY name, alias').all() as { name: string; alias: string; version: number }[]) {
        const model = models.get(row.name);
        if (model) model.aliases[row.alias] = row.version;
      }
    }
    return [...models.values()];
  }

  /**
   * The last drift verdict per model: the values of the newest monitor task
   * whose `reference` was a version of it (`models:/<name>/<version>: …`).
   * A monitor task is known by its values, `drift_detected` beside such a
   * reference: the runs table does not keep task types.
   */
  lastDriftVerdicts(): Map<string, DriftVerdict> {
    const found = new Map<string, DriftVerdict>();
    const candidates = this.statements.modelReferences.all() as { run_id: number; task_key: string; value: string }[];
    for (const candidate of candidates) {
      const match = /^models:\/([A-Za-z0-9_.-]+)\/(\d+)/.exec(candidate.value);
      if (!match || found.has(match[1]!)) continue;
      const values = Object.fromEntries((this.statements.taskValues.all(candidate.run_id, candidate.task_key) as { name: string; value: string }[])
        .map((row) => [row.name, row.value]));
      found.set(match[1]!, {
        runId: candidate.run_id,
        taskKey: candidate.task_key,
        version: Number(match[2]),
        detected: values.drift_detected === 'true',
        shareDrifted: Number(values.share_drifted ?? 0),
        features: Number(values.features ?? 0),
        driftedFeatures: values.drifted_features ? values.drifted_features.split(',') : [],
        ...(values.feature_psi === undefined ? {} : { featurePsi: psiOf(values.feature_psi) }),
      });
    }
    return found;
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
    modelReferences: db.prepare(`SELECT r.run_id, r.task_key, r.value FROM task_values r
      JOIN task_values d ON d.run_id = r.run_id AND d.task_key = r.task_key AND d.name = 'drift_detected'
      LEFT JOIN task_runs t ON t.run_id = r.run_id AND t.task_key = r.task_key
      WHERE r.name = 'reference' AND r.value LIKE 'models:/%' ORDER BY r.run_id DESC, coalesce(t.end_ms, 0) DESC`),
    taskValues: db.prepare('SELECT name, value FROM task_values WHERE run_id = ? AND task_key = ?'),
  };
}

/** A JSON object's numeric entries; anything else (or text that is not JSON) reads as none. */
function numbersOf(json: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(parseObject(json))) if (typeof value === 'number') out[key] = value;
  return out;
}

function psiOf(json: string): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [key, value] of Object.entries(parseObject(json))) if (typeof value === 'number' || value === null) out[key] = value;
  return out;
}

function parseObject(json: string): Record<string, unknown> {
  try {
    const value = JSON.parse(json) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : {};
  } catch {
    return {};
  }
}
