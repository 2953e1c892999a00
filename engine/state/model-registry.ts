// The model registry: named models, their numbered versions (each an ONNX
// file in the content-addressed model store, with its metrics, training
// parameters, lineage and tags), aliases such as `champion` that point at a
// version, and the version each run resolved a URI to. The SQL for it lives
// here and nowhere else; the files are the model store's (tasks/registry/).
//
// A run resolves `models:/churn@champion` once: every later task of the run
// (and of its child runs) gets the same version, even when someone promotes
// another version meanwhile. Aliases the run sets itself move its pins too,
// so a run that registers a new champion and then scores with @champion
// uses the model it just promoted.
import { didYouMean, listChoices } from '../suggest.js';
import type { Database } from './database.js';
import { checkAliasName, checkModelName, formatModelUri, type ModelUri, ModelRegistryError, parseModelUri } from './model-uri.js';

export * from './model-uri.js';

export interface ModelVersion {
  name: string;
  version: number;
  /** `models:/<name>/<version>`. */
  uri: string;
  sha256: string;
  /** Absolute path of the ONNX file in the model store. */
  file: string;
  /** binary, multiclass or regression, when the model says. */
  taskKind?: string;
  metrics: Record<string, number>;
  params: Record<string, unknown>;
  lineage: Record<string, unknown>;
  tags: Record<string, string>;
  description?: string;
  /** What a monitor compares new data with; absent until one is stored. */
  referenceProfile?: unknown;
  runId?: number;
  taskKey?: string;
  createdMs: number;
}

export interface NewModelVersion {
  name: string;
  sha256: string;
  file: string;
  taskKind?: string;
  metrics?: Record<string, number>;
  params?: Record<string, unknown>;
  lineage?: Record<string, unknown>;
  tags?: Record<string, string>;
  description?: string;
  runId?: number;
  taskKey?: string;
}

export interface RegisteredModel {
  name: string;
  description?: string;
  createdMs: number;
  latestVersion: number;
  versionCount: number;
  /** Alias → version. */
  aliases: Record<string, number>;
}

export interface ModelAlias {
  alias: string;
  version: number;
  setMs: number;
  /** Who set it: `run 12 (register)`, `sluice models promote`. */
  setBy?: string;
}

export interface AliasChange {
  /** Which run set it: that run's pins of the alias follow it. */
  runId?: number;
  setBy?: string;
  nowMs?: number;
}

interface VersionRow {
  name: string;
  version: number;
  created_ms: number;
  task_kind: string | null;
  metrics_json: string;
  description: string | null;
  tags_json: string;
  sha256: string;
  file: string;
  params_json: string;
  lineage_json: string;
  reference_profile_json: string | null;
  run_id: number | null;
  task_key: string | null;
}

export class ModelRegistry {
  private readonly statements: ReturnType<typeof prepare>;

  constructor(readonly db: Database) {
    this.statements = prepare(db);
  }

  /**
   * Adds the next version of a model (creating the model at its first one)
   * and sets `aliases` on it, all in one transaction. The file must already
   * be in the model store: the registry never points at a missing file.
   * A task that registers again the same file in the same run (a retry after
   * its first attempt had committed) gets the version it registered then,
   * with `aliases` set on it again, instead of a second version.
   */
  register(entry: NewModelVersion, options: { aliases?: readonly string[]; setBy?: string; nowMs?: number } = {}): ModelVersion & { created: boolean } {
    checkModelName(entry.name);
    for (const alias of options.aliases ?? []) checkAliasName(alias);
    const nowMs = options.nowMs ?? Date.now();
    const s = this.statements;
    return this.db.transaction(() => {
      const earlier = entry.runId === undefined || entry.taskKey === undefined
        ? undefined
        : s.versionByTask.get(entry.name, entry.runId, entry.taskKey, entry.sha256) as VersionRow | undefined;
      if (earlier) {
        for (const alias of options.aliases ?? []) this.writeAlias(entry.name, alias, earlier.version, { runId: entry.runId, setBy: options.setBy, nowMs });
        return { ...fromRow(earlier), created: false };
      }
      if (!s.getModel.get(entry.name)) s.insertModel.run(entry.name, entry.description ?? null, nowMs);
      const version = ((s.lastVersion.get(entry.name) as { version: number | null }).version ?? 0) + 1;
      s.insertVersion.run(entry.name, version, nowMs, entry.taskKind ?? null, JSON.stringify(entry.metrics ?? {}), entry.description ?? null,
        JSON.stringify(entry.tags ?? {}), entry.sha256, entry.file, JSON.stringify(entry.params ?? {}), JSON.stringify(entry.lineage ?? {}),
        entry.runId ?? null, entry.taskKey ?? null);
      for (const alias of options.aliases ?? []) this.writeAlias(entry.name, alias, version, { runId: entry.runId, setBy: options.setBy, nowMs });
      return { ...fromRow(s.getVersion.get(entry.name, version) as VersionRow), created: true };
    }).immediate();
  }

  /** A version by number; an error that lists the existing ones when there is none. */
  version(name: string, version: number): ModelVersion {
    const row = this.statements.getVersion.get(name, version) as VersionRow | undefined;
    if (row) return fromRow(row);
    const known = this.versionNumbers(this.requireModel(name));
    throw new ModelRegistryError(`model '${name}' has no version ${version} (versions: ${listVersions(known)})`, 'unknown-version');
  }

  /** The version an alias points at; an error that lists the model's aliases when it has no such alias. */
  byAlias(name: string, alias: string): ModelVersion {
    const row = this.statements.getAlias.get(name, alias) as { version: number } | undefined;
    if (row) return this.version(name, row.version);
    this.requireModel(name);
    const aliases = this.aliasesOf(name);
    const list = aliases.map((a) => `${a.alias} → ${a.version}`);
    throw new ModelRegistryError(`model '${name}' has no alias '${alias}'${didYouMean(alias, aliases.map((a) => a.alias))} ` +
      (aliases.length ? `(aliases: ${list.join(', ')})` : `(it has no aliases yet; set one with 'sluice models promote ${name} <version> --alias ${alias}' or a register task's aliases)`),
    'unknown-alias');
  }

  /** What a URI names now, without pinning it to a run. */
  resolve(uri: string | ModelUri): ModelVersion {
    const reference = typeof uri === 'string' ? parseModelUri(uri) : uri;
    return reference.alias !== undefined ? this.byAlias(reference.name, reference.alias) : this.version(reference.name, reference.version!);
  }

  /**
   * What a URI names for a run: the first task of the run (or of its parent
   * runs) to resolve it records the version, and every later one gets that
   * same version.
   */
  pin(runId: number, uri: string | ModelUri, nowMs = Date.now()): ModelVersion {
    const reference = typeof uri === 'string' ? parseModelUri(uri) : uri;
    const key = formatModelUri(reference);
    const root = this.rootRun(runId);
    const s = this.statements;
    return this.db.transaction(() => {
      const pinned = s.getPin.get(root, key) as { name: string; version: number } | undefined;
      if (pinned) return this.version(pinned.name, pinned.version);
      const found = this.resolve(reference);
      s.upsertPin.run(root, key, found.name, found.version, nowMs);
      return found;
    }).immediate();
  }

  /** The versions a run (with its child runs) has pinned, by URI. */
  pinsOf(runId: number): { uri: string; name: string; version: number }[] {
    return this.statements.listPins.all(this.rootRun(runId)) as { uri: string; name: string; version: number }[];
  }

  /** Points an alias at a version; returns the version it pointed at before, if any. */
  setAlias(name: string, alias: string, version: number, change: AliasChange = {}): { previous?: number } {
    checkAliasName(alias);
    return this.db.transaction(() => {
      this.version(name, version);
      const before = this.statements.getAlias.get(name, alias) as { version: number } | undefined;
      this.writeAlias(name, alias, version, change);
      return before ? { previous: before.version } : {};
    }).immediate();
  }

  /** Every version of a model, oldest first; none for an unknown name. */
  versions(name: string): ModelVersion[] {
    return (this.statements.listVersions.all(name) as VersionRow[]).map(fromRow);
  }

  models(): RegisteredModel[] {
    const rows = this.statements.listModels.all() as { name: string; description: string | null; created_ms: number; latest: number | null; count: number }[];
    const aliases = new Map<string, Record<string, number>>();
    for (const row of this.statements.allAliases.all() as { name: string; alias: string; version: number }[]) {
      aliases.set(row.name, { ...aliases.get(row.name), [row.alias]: row.version });
    }
    return rows.map((row) => ({
      name: row.name,
      ...(row.description === null ? {} : { description: row.description }),
      createdMs: row.created_ms,
      latestVersion: row.latest ?? 0,
      versionCount: row.count,
      aliases: aliases.get(row.name) ?? {},
    }));
  }

  names(): string[] {
    return (this.statements.listNames.all() as { name: string }[]).map((row) => row.name);
  }

  aliasesOf(name: string): ModelAlias[] {
    return (this.statements.aliasesOf.all(name) as { alias: string; version: number; set_ms: number; set_by: string | null }[])
      .map((row) => ({ alias: row.alias, version: row.version, setMs: row.set_ms, ...(row.set_by === null ? {} : { setBy: row.set_by }) }));
  }

  /** Stores what a monitor compares new data with: any JSON value (a string is taken as JSON text). */
  setReferenceProfile(name: string, version: number, profile: unknown): void {
    const text = typeof profile === 'string' ? profile : JSON.stringify(profile);
    JSON.parse(text); // refuse text that is not JSON before it is stored
    this.db.transaction(() => {
      this.version(name, version);
      this.statements.setProfile.run(text, name, version);
    }).immediate();
  }

  /** Whether any version's file is this one (the store keeps files that are). */
  fileInUse(file: string): boolean {
    return this.statements.fileInUse.get(file) !== undefined;
  }

  private writeAlias(name: string, alias: string, version: number, change: AliasChange): void {
    const nowMs = change.nowMs ?? Date.now();
    this.statements.upsertAlias.run(name, alias, version, nowMs, change.setBy ?? null);
    if (change.runId !== undefined) {
      this.statements.upsertPin.run(this.rootRun(change.runId), formatModelUri({ name, alias }), name, version, nowMs);
    }
  }

  private requireModel(name: string): string {
    if (this.statements.getModel.get(name)) return name;
    const names = this.names();
    throw new ModelRegistryError(`there is no registered model '${name}'${didYouMean(name, names)} ` +
      (names.length ? `(registered: ${listChoices(names, 'and')})` : '(no model has been registered yet; a register task adds one)'), 'unknown-model');
  }

  private versionNumbers(name: string): number[] {
    return (this.statements.versionNumbers.all(name) as { version: number }[]).map((row) => row.version);
  }

  /** Child runs (run_pipeline) share their parent's pins. */
  private rootRun(runId: number): number {
    let id = runId;
    for (let hops = 0; hops < 100; hops++) {
      const row = this.statements.parentRun.get(id) as { parent_run_id: number | null } | undefined;
      if (!row || row.parent_run_id === null) return id;
      id = row.parent_run_id;
    }
    return id;
  }
}

/** `1–4` for a run of numbers, else `1, 3, 4`. */
function listVersions(versions: number[]): string {
  if (versions.length === 0) return 'none';
  const contiguous = versions.every((v, i) => v === versions[0]! + i);
  return contiguous && versions.length > 2 ? `${versions[0]}–${versions.at(-1)}` : versions.join(', ');
}

function fromRow(row: VersionRow): ModelVersion {
  return {
    name: row.name,
    version: row.version,
    uri: formatModelUri({ name: row.name, version: row.version }),
    sha256: row.sha256,
    file: row.file,
    ...(row.task_kind === null ? {} : { taskKind: row.task_kind }),
    metrics: JSON.parse(row.metrics_json) as Record<string, number>,
    params: JSON.parse(row.params_json) as Record<string, unknown>,
    lineage: JSON.parse(row.lineage_json) as Record<string, unknown>,
    tags: JSON.parse(row.tags_json) as Record<string, string>,
    ...(row.description === null ? {} : { description: row.description }),
    ...(row.reference_profile_json === null ? {} : { referenceProfile: JSON.parse(row.reference_profile_json) as unknown }),
    ...(row.run_id === null ? {} : { runId: row.run_id }),
    ...(row.task_key === null ? {} : { taskKey: row.task_key }),
    createdMs: row.created_ms,
  };
}

function prepare(db: Database) {
  return {
    getModel: db.prepare('SELECT name FROM registered_models WHERE name = ?'),
    insertModel: db.prepare('INSERT INTO registered_models (name, description, created_ms) VALUES (?, ?, ?)'),
    listNames: db.prepare('SELECT name FROM registered_models ORDER BY name'),
    listModels: db.prepare(`SELECT m.name, m.description, m.created_ms, max(v.version) AS latest, count(v.version) AS count
      FROM registered_models m LEFT JOIN model_versions v ON v.name = m.name GROUP BY m.name ORDER BY m.name`),
    lastVersion: db.prepare('SELECT max(version) AS version FROM model_versions WHERE name = ?'),
    insertVersion: db.prepare(`INSERT INTO model_versions (name, version, created_ms, task_kind, metrics_json, description, tags_json,
      sha256, file, params_json, lineage_json, run_id, task_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    getVersion: db.prepare('SELECT * FROM model_versions WHERE name = ? AND version = ?'),
    versionByTask: db.prepare('SELECT * FROM model_versions WHERE name = ? AND run_id = ? AND task_key = ? AND sha256 = ? ORDER BY version LIMIT 1'),
    listVersions: db.prepare('SELECT * FROM model_versions WHERE name = ? ORDER BY version'),
    versionNumbers: db.prepare('SELECT version FROM model_versions WHERE name = ? ORDER BY version'),
    setProfile: db.prepare('UPDATE model_versions SET reference_profile_json = ? WHERE name = ? AND version = ?'),
    fileInUse: db.prepare('SELECT 1 FROM model_versions WHERE file = ? LIMIT 1'),
    getAlias: db.prepare('SELECT version FROM model_aliases WHERE name = ? AND alias = ?'),
    upsertAlias: db.prepare(`INSERT INTO model_aliases (name, alias, version, set_ms, set_by) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version, set_ms = excluded.set_ms, set_by = excluded.set_by`),
    aliasesOf: db.prepare('SELECT alias, version, set_ms, set_by FROM model_aliases WHERE name = ? ORDER BY alias'),
    allAliases: db.prepare('SELECT name, alias, version FROM model_aliases ORDER BY name, alias'),
    getPin: db.prepare('SELECT name, version FROM run_model_pins WHERE run_id = ? AND uri = ?'),
    upsertPin: db.prepare(`INSERT INTO run_model_pins (run_id, uri, name, version, pinned_ms) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (run_id, uri) DO UPDATE SET name = excluded.name, version = excluded.version, pinned_ms = excluded.pinned_ms`),
    listPins: db.prepare('SELECT uri, name, version FROM run_model_pins WHERE run_id = ? ORDER BY uri'),
    parentRun: db.prepare('SELECT parent_run_id FROM runs WHERE id = ?'),
  };
}
