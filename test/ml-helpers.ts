// Running ML pipelines end to end in a temporary folder with its own state.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStateDatabase } from '../engine/state/database.js';
import { RunStore } from '../engine/state/run-store.js';
import { runSluice } from './run-sluice.js';

export interface Workspace {
  root: string;
  state: string;
  write(name: string, text: string): string;
  run(yaml: string, ...args: string[]): { code: number | null; stdout: string; stderr: string };
  /** Values of a task in the latest run. */
  values(task: string): Record<string, string>;
  /** The message a task of the latest run ended with. */
  message(task: string): string;
}

export function workspace(prefix: string): Workspace {
  const root = mkdtempSync(join(tmpdir(), `sluice-${prefix}-`));
  const state = join(root, '.sluice', 'state.db');
  let counter = 0;
  const latest = <T>(read: (store: RunStore, runId: number) => T): T => {
    const store = new RunStore(openStateDatabase(state, { mustExist: true }));
    try {
      return read(store, store.runs({ limit: 1 })[0]!.id);
    } finally {
      store.db.close();
    }
  };
  return {
    root,
    state,
    write(name, text) {
      const file = join(root, name);
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, text);
      return file;
    },
    run(yaml, ...args) {
      counter += 1;
      const file = this.write(`pipeline-${counter}.yaml`, yaml);
      return runSluice(['run', file, '--state', state, ...args], root);
    },
    values: (task) => latest((store, runId) => store.values(runId).get(task) ?? {}),
    message: (task) => latest((store, runId) => store.taskRuns(runId).find((row) => row.task_key === task)?.state_message ?? ''),
  };
}
