// The state database's schema, as forward-only steps. `PRAGMA user_version`
// records how many have been applied; a database from a newer Sluice is
// refused rather than guessed at.

export const MIGRATIONS: readonly string[] = [
  // 1: pipelines, runs, task runs, attempts, values.
  `
  CREATE TABLE pipeline_versions (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    file TEXT NOT NULL,
    source_hash TEXT NOT NULL,
    yaml TEXT NOT NULL,
    git_commit TEXT,
    git_dirty INTEGER,
    first_seen_ms INTEGER NOT NULL,
    UNIQUE (name, source_hash, git_commit)
  );
  CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    pipeline TEXT NOT NULL,
    pipeline_version_id INTEGER NOT NULL REFERENCES pipeline_versions(id),
    parent_run_id INTEGER REFERENCES runs(id),
    parent_task_key TEXT,
    trigger_type TEXT NOT NULL,
    trigger_time_ms INTEGER NOT NULL,
    parameters_json TEXT NOT NULL,
    state TEXT NOT NULL,
    state_message TEXT,
    repair_count INTEGER NOT NULL DEFAULT 0,
    concurrency INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    start_ms INTEGER,
    end_ms INTEGER,
    runner_pid INTEGER,
    runner_started TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    run_dir TEXT NOT NULL
  );
  CREATE INDEX runs_by_pipeline ON runs (pipeline, id);
  CREATE INDEX runs_by_state ON runs (state, id);
  CREATE TABLE task_runs (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    task_key TEXT NOT NULL,
    parent_task_key TEXT,
    iteration INTEGER,
    state TEXT NOT NULL,
    state_message TEXT,
    attempt_count INTEGER NOT NULL DEFAULT 0,
    round_first_attempt INTEGER NOT NULL DEFAULT 1,
    retry_at_ms INTEGER,
    start_ms INTEGER,
    end_ms INTEGER,
    repair_round INTEGER NOT NULL DEFAULT 0,
    child_run_id INTEGER,
    PRIMARY KEY (run_id, task_key)
  );
  CREATE TABLE attempts (
    run_id INTEGER NOT NULL,
    task_key TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    state TEXT NOT NULL,
    start_ms INTEGER NOT NULL,
    end_ms INTEGER,
    pid INTEGER,
    exit_code INTEGER,
    signal TEXT,
    error TEXT,
    stdout_path TEXT,
    stderr_path TEXT,
    PRIMARY KEY (run_id, task_key, attempt),
    FOREIGN KEY (run_id, task_key) REFERENCES task_runs(run_id, task_key)
  ) WITHOUT ROWID;
  CREATE TABLE task_values (
    run_id INTEGER NOT NULL,
    task_key TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (run_id, task_key, name),
    FOREIGN KEY (run_id, task_key) REFERENCES task_runs(run_id, task_key)
  ) WITHOUT ROWID;
  `,
  // 2: dataset versions: content-addressed Parquet files and what is known of them.
  `
  CREATE TABLE dataset_versions (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    file TEXT NOT NULL,
    schema_json TEXT NOT NULL,
    row_count INTEGER NOT NULL,
    source TEXT NOT NULL,
    feature_plan_json TEXT,
    split_json TEXT,
    target TEXT,
    run_id INTEGER,
    task_key TEXT,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (name, version),
    UNIQUE (name, content_hash)
  ) WITHOUT ROWID;
  `,
  // 3: the scheduler daemon (sluice serve): run requests with a unique fire
  // key (exactly one run per fire), trigger cursors, pauses, daemon leases.
  `
  CREATE TABLE run_requests (
    id INTEGER PRIMARY KEY,
    pipeline TEXT NOT NULL,
    fire_key TEXT NOT NULL,
    trigger_type TEXT NOT NULL,
    trigger_time_ms INTEGER NOT NULL,
    parameters_json TEXT NOT NULL,
    state TEXT NOT NULL,
    message TEXT,
    run_id INTEGER REFERENCES runs(id),
    created_ms INTEGER NOT NULL,
    settled_ms INTEGER,
    UNIQUE (pipeline, fire_key)
  );
  CREATE INDEX run_requests_by_state ON run_requests (state, id);
  CREATE TABLE trigger_cursors (
    pipeline TEXT NOT NULL,
    trigger TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (pipeline, trigger)
  ) WITHOUT ROWID;
  CREATE TABLE schedule_pauses (
    pipeline TEXT PRIMARY KEY,
    paused INTEGER NOT NULL,
    changed_ms INTEGER NOT NULL
  );
  CREATE TABLE daemons (
    id TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    process_started TEXT,
    pipelines_dir TEXT NOT NULL,
    started_ms INTEGER NOT NULL,
    heartbeat_ms INTEGER NOT NULL,
    stopped_ms INTEGER,
    stop_reason TEXT
  );
  `,
  // 4: the model registry: models, their versions (a content-addressed ONNX
  // file under models/ with metrics, parameters and lineage), aliases, and
  // the version each run resolved an alias URI to, so that all its tasks use
  // the same one even when the alias moves meanwhile. model_versions keeps
  // its (implicit) rowid and puts the columns people look at first: the
  // terminal UI shows the table as it is, newest rowid first.
  `
  CREATE TABLE registered_models (
    name TEXT PRIMARY KEY,
    description TEXT,
    created_ms INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE model_versions (
    name TEXT NOT NULL REFERENCES registered_models(name),
    version INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    task_kind TEXT,
    metrics_json TEXT NOT NULL,
    description TEXT,
    tags_json TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    file TEXT NOT NULL,
    params_json TEXT NOT NULL,
    lineage_json TEXT NOT NULL,
    reference_profile_json TEXT,
    run_id INTEGER,
    task_key TEXT,
    UNIQUE (name, version)
  );
  CREATE INDEX model_versions_by_sha256 ON model_versions (sha256);
  CREATE TABLE model_aliases (
    name TEXT NOT NULL,
    alias TEXT NOT NULL,
    version INTEGER NOT NULL,
    set_ms INTEGER NOT NULL,
    set_by TEXT,
    PRIMARY KEY (name, alias),
    FOREIGN KEY (name, version) REFERENCES model_versions(name, version)
  ) WITHOUT ROWID;
  CREATE TABLE run_model_pins (
    run_id INTEGER NOT NULL,
    uri TEXT NOT NULL,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    pinned_ms INTEGER NOT NULL,
    PRIMARY KEY (run_id, uri)
  ) WITHOUT ROWID;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
