// Starting another pipeline (e.g. retraining) when drift is found: a run
// request in the scheduler's table, which `sluice serve` turns into a run
// like any other trigger. The fire key is the one `trigger.on_drift_of` uses
// for the same run, so a pipeline triggered both ways gets exactly one run,
// and repairing the monitor's run requests nothing twice.
import { openStateDatabase } from '../../engine/state/database.js';
import { RunStore } from '../../engine/state/run-store.js';
import { ScheduleStore } from '../../engine/state/schedule-store.js';

export interface DriftTrigger {
  pipeline: string;
  parameters?: Record<string, string | number | boolean>;
}

export interface TriggerOutcome {
  fireKey: string;
  /** False when this run had already requested it (a repaired or retried task). */
  created: boolean;
}

export function requestDriftRun(stateDatabase: string, runId: number, trigger: DriftTrigger, nowMs: number): TriggerOutcome {
  const db = openStateDatabase(stateDatabase, { mustExist: true });
  try {
    // A for_each iteration runs in a child run; drift is reported by the top-level run.
    const runs = new RunStore(db);
    let top = runs.run(runId);
    while (top?.parent_run_id != null) top = runs.run(top.parent_run_id);
    const fireKey = `drift:${top?.id ?? runId}`;
    const parameters = Object.fromEntries(Object.entries(trigger.parameters ?? {}).map(([name, value]) => [name, String(value)]));
    const created = new ScheduleStore(db).enqueue({ pipeline: trigger.pipeline, fireKey, triggerType: 'drift', triggerTimeMs: nowMs, parameters, nowMs });
    return { fireKey, created };
  } finally {
    db.close();
  }
}
