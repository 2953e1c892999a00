// Starting, resuming, repairing and canceling runs: the operations behind
// `sluice run/resume/repair/cancel`, and later the scheduler's.
import { createHash } from 'node:crypto';
import { UsageError } from '../diagnostics.js';
import type { Pipeline } from '../spec/model.js';
import { gitInfo } from '../state/git-info.js';
import type { RunRow, RunStore } from '../state/run-store.js';
import { isTerminalRunState, type TerminalRunState } from '../state/states.js';
import type { TaskLauncher } from './launcher.js';
import type { BuiltinTaskCommand } from './process-attempt.js';
import { processStartTime } from './process-control.js';
import { selectRepairTasks } from './repair-selection.js';
import { RunExecutor, type ChildRunStarter, type RunEvent } from './run-executor.js';
import { isRunnerAlive, recoverRun } from './run-recovery.js';
import { SlotPool } from './slot-pool.js';
import { resolveParameters } from './parameters.js';

export interface PipelineSource {
  pipeline: Pipeline;
  /** The YAML text, stored with the run so that repair and resume run the same version. */
  text: string;
}

export interface RunServiceOptions {
  store: RunStore;
  databaseFile: string;
  runsDir: string;
  launcher: TaskLauncher;
  concurrency: number;
  killGraceMillis: number;
  /** How to start a built-in task type's process (ingest, train…); without it such tasks fail. */
  builtinCommand?: BuiltinTaskCommand;
  onEvent?: (event: RunEvent) => void;
  /** Parses a stored YAML version back into a pipeline. */
  parsePipeline: (file: string, text: string) => Pipeline;
  /** Finds a pipeline by name for run_pipeline, in the folder of the pipeline that calls it. */
  findPipeline: (name: string, besideFile: string) => PipelineSource;
}

export interface StartRequest {
  parameters?: Record<string, string>;
  triggerType?: string;
  triggerTime?: Date;
  parentRunId?: number;
  parentTaskKey?: string;
}

export class RunService {
  private readonly slots: SlotPool;
  private readonly stateId: string;
  private readonly active = new Set<RunExecutor>();

  constructor(private readonly options: RunServiceOptions) {
    this.slots = new SlotPool(options.concurrency);
    this.stateId = createHash('sha256').update(options.databaseFile).digest('hex').slice(0, 12);
  }

  /** Records a new run (durably, before any task starts) and returns it without running it. */
  createRun(source: PipelineSource, request: StartRequest = {}): RunRow {
    return this.createRunWithin(source, request, (create) => create());
  }

  /**
   * Like createRun, but the run row is written inside `within`, which may
   * wrap it in a transaction of its own (the scheduler admits a request and
   * creates its run atomically) or not create it at all.
   */
  createRunWithin<T>(source: PipelineSource, request: StartRequest, within: (create: () => RunRow) => T): T {
    const { store } = this.options;
    const { pipeline } = source;
    const parameters = resolveParameters(pipeline, request.parameters ?? {});
    const now = Date.now();
    const versionId = this.recordVersion(source, now);
    return within(() => store.createRun({
      pipeline: pipeline.name, pipelineVersionId: versionId, parentRunId: request.parentRunId, parentTaskKey: request.parentTaskKey,
      triggerType: request.triggerType ?? 'manual', triggerTimeMs: (request.triggerTime ?? new Date(now)).getTime(), parameters,
      concurrency: this.options.concurrency, taskKeys: pipeline.tasks.map((task) => task.key), runsDir: this.options.runsDir, nowMs: Date.now(),
      runner: { pid: process.pid, started: processStartTime(process.pid) },
    }));
  }

  /** Records a version of a pipeline with its git commit; a version recorded before keeps its row. Returns its id. */
  recordVersion(source: PipelineSource, nowMs = Date.now()): number {
    const { pipeline } = source;
    const git = gitInfo(pipeline.file);
    return this.options.store.recordPipelineVersion({
      name: pipeline.name, file: pipeline.file, sourceHash: pipeline.sourceHash, yaml: source.text, gitCommit: git?.commit, gitDirty: git?.dirty,
    }, nowMs);
  }

  /** Runs a run made by createRun to its end. */
  async execute(pipeline: Pipeline, run: RunRow): Promise<RunRow> {
    return this.drive(pipeline, run, false);
  }

  /**
   * Goes on with a run whose runner died: lost attempts are retried,
   * succeeded tasks keep their values. `resumedBy` names who does, in the
   * lost attempts' records (a daemon taking over says so).
   */
  async resume(runId: number, resumedBy = 'sluice resume'): Promise<RunRow> {
    const run = this.existingRun(runId);
    if (isTerminalRunState(run.state)) {
      throw new UsageError(`run ${runId} has already finished (${run.state}); to run its failed tasks again, use sluice repair ${runId}`);
    }
    this.refuseIfRunnerAlive(run, 'resume');
    recoverRun(this.options.store, this.stateId, runId, 'resume', resumedBy);
    this.options.store.reopenRun(runId);
    return this.drive(this.pipelineOf(run), this.options.store.run(runId)!, true);
  }

  /** Reruns failed, canceled and skipped tasks (or a selection) and what depends on them, in the same run. */
  async repair(runId: number, only?: string): Promise<RunRow> {
    const { store } = this.options;
    const run = this.existingRun(runId);
    if (!isTerminalRunState(run.state)) {
      if (isRunnerAlive(run)) throw new UsageError(`run ${runId} is still running (process ${run.runner_pid}); wait for it or cancel it first`);
      throw new UsageError(`run ${runId} did not finish: its runner stopped; use sluice resume ${runId} to go on with it`);
    }
    const pipeline = this.pipelineOf(run);
    const tasks = selectRepairTasks(pipeline, store.taskRuns(runId), only);
    if (tasks.length === 0) throw new UsageError(`run ${runId} has nothing to repair: no task failed, was canceled or skipped (use --only to pick tasks)`);
    store.beginRepair(runId, tasks);
    return this.drive(pipeline, store.run(runId)!, false);
  }

  /**
   * Cancels a run. A live runner is asked to stop (it then ends its tasks
   * and records them); for a run whose runner died, the processes it left
   * are stopped and the run is recorded as canceled here.
   */
  cancel(runId: number): { signaled: boolean; run: RunRow } {
    const { store } = this.options;
    const run = this.existingRun(runId);
    if (isTerminalRunState(run.state)) throw new UsageError(`run ${runId} has already finished (${run.state})`);
    store.requestCancel(runId);
    if (isRunnerAlive(run)) {
      process.kill(run.runner_pid!, 'SIGTERM');
      return { signaled: true, run };
    }
    recoverRun(store, this.stateId, runId, 'cancel');
    store.finishRun(runId, 'CANCELED', 'canceled by sluice cancel (its runner had stopped)', Date.now());
    return { signaled: false, run: store.run(runId)! };
  }

  /** Stops every run this process drives (Ctrl-C, a plain SIGTERM). */
  stopAll(message: string): void {
    for (const executor of this.active) executor.stop('CANCELED', message);
  }

  /**
   * SIGTERM: `sluice cancel` marks the run it cancels before it signals, so
   * that canceling a child run stops that run only. Without a mark, all stop.
   */
  stopRequested(message: string): void {
    const marked = [...this.active].filter((executor) => this.options.store.run(executor.runId)?.cancel_requested);
    if (marked.length === 0) this.stopAll(message);
    for (const executor of marked) executor.stop('CANCELED', message);
  }

  private async drive(pipeline: Pipeline, run: RunRow, resumed: boolean): Promise<RunRow> {
    const executor = this.executor(pipeline, run, resumed);
    this.active.add(executor);
    try {
      return await executor.execute();
    } finally {
      this.active.delete(executor);
    }
  }

  /** An executor for the run, which this process now drives. */
  private executor(pipeline: Pipeline, run: RunRow, resumed: boolean): RunExecutor {
    this.options.store.claimRun(run.id, process.pid, processStartTime(process.pid));
    return new RunExecutor(pipeline, run, {
      store: this.options.store, launcher: this.options.launcher, slots: this.slots, stateId: this.stateId,
      databaseFile: this.options.databaseFile, builtinCommand: this.options.builtinCommand,
      killGraceMillis: this.options.killGraceMillis, onEvent: this.options.onEvent, startChildRun: this.childStarter(pipeline), resumed,
    });
  }

  private childStarter(parentPipeline: Pipeline): ChildRunStarter {
    return async (request) => {
      const { store } = this.options;
      const existing = request.existingChildRunId === undefined ? undefined : store.run(request.existingChildRunId);
      if (existing?.state === 'SUCCESS') return { runId: existing.id, state: existing.state };
      let pipeline: Pipeline;
      let child: RunRow;
      if (existing && !isTerminalRunState(existing.state)) {
        recoverRun(store, this.stateId, existing.id, 'resume');
        store.reopenRun(existing.id);
        pipeline = this.pipelineOf(existing);
        child = store.run(existing.id)!;
      } else {
        const source = this.options.findPipeline(request.pipeline, parentPipeline.file);
        pipeline = source.pipeline;
        child = this.createRun(source, {
          parameters: request.parameters, triggerType: 'pipeline', parentRunId: request.parent.id, parentTaskKey: request.taskKey,
        });
      }
      const executor = this.executor(pipeline, child, false);
      request.register(executor);
      this.active.add(executor);
      try {
        const done = await executor.execute();
        return { runId: done.id, state: done.state as TerminalRunState, message: done.state_message ?? undefined };
      } finally {
        this.active.delete(executor);
      }
    };
  }

  private existingRun(runId: number): RunRow {
    const run = this.options.store.run(runId);
    if (!run) throw new UsageError(`there is no run ${runId}; sluice runs lists them`);
    return run;
  }

  private refuseIfRunnerAlive(run: RunRow, action: string): void {
    if (isRunnerAlive(run)) {
      throw new UsageError(`run ${run.id} is still running in process ${run.runner_pid}; ${action} is for runs whose runner stopped`);
    }
  }

  private pipelineOf(run: RunRow): Pipeline {
    const version = this.options.store.pipelineVersion(run.pipeline_version_id)!;
    return this.options.parsePipeline(version.file, version.yaml);
  }
}
