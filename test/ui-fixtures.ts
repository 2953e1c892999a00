// A state database for UI tests, filled through RunStore the way a runner
// fills it, and the services the UI gets from `sluice ui`, with actions
// recorded instead of started.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { processStartTime } from '../engine/execute/process-control.js';
import { PipelineLoader } from '../engine/spec/pipeline-loader.js';
import { readTaskDependencies } from '../engine/spec/stored-dependencies.js';
import { openStateDatabase } from '../engine/state/database.js';
import { ModelRegistry } from '../engine/state/model-registry.js';
import { openStateReadOnly, RunQueries } from '../engine/state/run-queries.js';
import { type AttemptEnd, type RunRow, RunStore } from '../engine/state/run-store.js';
import type { TaskState } from '../engine/state/states.js';
import { builtinTaskTypes } from '../tasks/index.js';
import { runnerStatus } from '../cli/inspect-commands.js';
import type { ActionOutcome, ActionRunner, UiAction } from '../ui-tui/actions.js';
import type { PipelineEntry, UiServices } from '../ui-tui/services.js';

/** 2026-01-05 14:03:22 UTC. */
export const T0 = Date.UTC(2026, 0, 5, 14, 3, 22);

export class UiState {
  readonly file: string;
  readonly writer: RunStore;
  readonly loader = new PipelineLoader(builtinTaskTypes);

  constructor(readonly dir = mkdtempSync(join(tmpdir(), 'sluice-ui-'))) {
    this.file = join(dir, 'state.db');
    this.writer = new RunStore(openStateDatabase(this.file));
  }

  /** A run of a pipeline whose YAML is `yaml` (task keys and dependencies come from it). */
  run(pipeline: string, yaml: string, options: { at?: number; trigger?: string } = {}): RunRow {
    const at = options.at ?? T0;
    const loaded = this.loader.loadText(`pipelines/${pipeline}.yaml`, yaml);
    if (!loaded.pipeline) throw new Error(`test pipeline does not validate: ${loaded.diagnostics.map((d) => d.message).join('; ')}`);
    const versionId = this.writer.recordPipelineVersion({ name: pipeline, file: `pipelines/${pipeline}.yaml`, sourceHash: `h-${yaml.length}`, yaml }, at);
    return this.writer.createRun({
      pipeline, pipelineVersionId: versionId, triggerType: options.trigger ?? 'manual', triggerTimeMs: at, parameters: {},
      concurrency: 2, taskKeys: loaded.pipeline.tasks.map((t) => t.key), runsDir: join(this.dir, 'runs'), nowMs: at,
      runner: { pid: process.pid, started: processStartTime(process.pid) },
    });
  }

  /** One attempt of a task, with its output in log files, ended when `end` is given. */
  attempt(run: RunRow, key: string, n: number, start: number, output: { stdout?: string; stderr?: string },
    end?: Partial<AttemptEnd> & { state: AttemptEnd['state']; task: TaskState; values?: Record<string, string>; message?: string }): void {
    const logs = { stdout: join(run.run_dir, 'logs', `${key}.attempt-${n}.stdout.log`), stderr: join(run.run_dir, 'logs', `${key}.attempt-${n}.stderr.log`) };
    mkdirSync(dirname(logs.stdout), { recursive: true });
    writeFileSync(logs.stdout, output.stdout ?? '');
    writeFileSync(logs.stderr, output.stderr ?? '');
    this.writer.startAttempt(run.id, key, n, start, logs);
    if (end) {
      this.writer.finishAttempt(run.id, key, n, { state: end.state, endMs: end.endMs ?? start + 1000, exitCode: end.exitCode ?? (end.state === 'SUCCESS' ? 0 : 1) },
        { state: end.task, values: end.values, message: end.message });
    }
  }

  finish(run: RunRow, state: 'SUCCESS' | 'FAILED' | 'CANCELED', at: number, message: string | null = null): void {
    this.writer.finishRun(run.id, state, message, at);
  }

  /** What `sluice ui` would compose, reading this database read-only. */
  services(options: { pipelines?: PipelineEntry[]; now?: number; pollMs?: number } = {}): UiServices & { started: UiAction[]; reply: (outcome: Omit<ActionOutcome, 'action'>) => void } {
    const db = openStateReadOnly(this.file);
    const store = new RunStore(db);
    const started: UiAction[] = [];
    let report: ((outcome: ActionOutcome) => void) | undefined;
    const actions: ActionRunner = {
      start(action, callback) {
        started.push(action);
        report = (outcome) => callback(outcome);
      },
    };
    return {
      queries: new RunQueries(db),
      store,
      runnerStatus: (run) => runnerStatus(store, run),
      pipelines: () => options.pipelines ?? [],
      dependenciesOf: (versionId) => {
        const version = store.pipelineVersion(versionId);
        return version ? readTaskDependencies(version.yaml) : undefined;
      },
      actions,
      pollMs: options.pollMs ?? 50,
      now: () => options.now ?? Date.now(),
      started,
      reply: (outcome) => report?.({ action: started.at(-1)!, ...outcome }),
    };
  }
}

export const TRAIN_YAML = `name: train
tasks:
  - task_key: prepare
    shell: echo prepare
  - task_key: fit
    depends_on: [prepare]
    shell: echo fit
  - task_key: score
    depends_on: [prepare]
    shell: echo score
  - task_key: publish
    depends_on: [fit, score]
    shell: echo publish
`;

/** A night of the train pipeline gone wrong: fit failed twice, publish never ran. */
export function failedTrainRun(state: UiState, at = T0): RunRow {
  const run = state.run('train', TRAIN_YAML, { at });
  state.attempt(run, 'prepare', 1, at, { stdout: 'reading 1000 rows\n' }, { state: 'SUCCESS', task: 'SUCCESS', values: { rows: '1000' } });
  state.attempt(run, 'score', 1, at + 1000, { stdout: 'auc 0.91\n' }, { state: 'SUCCESS', task: 'SUCCESS', values: { auc: '0.91' } });
  state.attempt(run, 'fit', 1, at + 1000, { stdout: 'epoch 1\n' }, { state: 'FAILED', task: 'RETRY_WAIT' });
  state.attempt(run, 'fit', 2, at + 3000, { stdout: 'epoch 1\nepoch 2\n', stderr: 'MemoryError\n' },
    { state: 'FAILED', task: 'FAILED', endMs: at + 9000, message: 'exit code 1' });
  state.writer.setTaskState(run.id, 'publish', 'UPSTREAM_FAILED', at + 9000, { message: 'upstream fit failed' });
  state.finish(run, 'FAILED', at + 9000, 'fit failed');
  return run;
}

/** Resolves once `check` passes on the latest frame, or fails with the frame after `timeoutMs`. */
export async function frameWith(lastFrame: () => string | undefined, check: (frame: string) => boolean, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frame = lastFrame() ?? '';
    if (check(frame)) return frame;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms; the last frame was:\n${frame}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A model `churn` with three versions (roc_auc rising, then falling a little),
 * @champion on 2 and @challenger on 3, and two monitor runs against it: an
 * older one without drift and a newer one with `age` and `plan` drifted.
 */
export function registeredChurn(state: UiState, at = T0): void {
  const registry = new ModelRegistry(state.writer.db);
  const metrics = [{ roc_auc: 0.81, accuracy: 0.77 }, { roc_auc: 0.9, accuracy: 0.84 }, { roc_auc: 0.87, accuracy: 0.83 }];
  metrics.forEach((m, i) => registry.register({ name: 'churn', sha256: `sha-${i}`, file: `/models/${i}.onnx`, metrics: m },
    { aliases: i === 1 ? ['champion'] : i === 2 ? ['challenger'] : [], nowMs: at + i * 86_400_000 }));
  registry.register({ name: 'house_prices', sha256: 'sha-h', file: '/models/h.onnx', metrics: { rmse: 12.5, r2: 0.71 } }, { nowMs: at });
  const yaml = 'name: watch\ntasks:\n  - task_key: monitor\n    shell: "true"\n';
  const monitor = (start: number, values: Record<string, string>) => {
    const run = state.run('watch', yaml, { at: start });
    state.attempt(run, 'monitor', 1, start, { stdout: 'drift\n' }, { state: 'SUCCESS', task: 'SUCCESS', values });
    state.finish(run, 'SUCCESS', start + 1000);
  };
  monitor(at + 3 * 86_400_000, {
    drift_detected: 'false', drifted_features: '', share_drifted: '0', features: '3', reference: 'models:/churn/2: dataset://train@1 (train rows)',
    feature_psi: '{"age":0.01,"income":0.02,"plan":0.03}',
  });
  monitor(at + 4 * 86_400_000, {
    drift_detected: 'true', drifted_features: 'age,plan', share_drifted: '0.6666666666666666', features: '3',
    reference: 'models:/churn/2: dataset://train@1 (train rows)', feature_psi: '{"age":0.3512,"income":0.0421,"plan":1.8}',
  });
}
