// Turns queued run requests into runs, through the same RunService as
// `sluice run`, honouring max_concurrent_runs: a request waits while its
// pipeline is full (queue: true, and always for backfill) or is recorded as
// skipped (queue: false). Admission and the creation of the run are one
// transaction, so a request becomes at most one run whichever daemon gets it.
import { UsageError } from '../diagnostics.js';
import { isRunnerAlive } from '../execute/run-recovery.js';
import type { PipelineSource, RunService } from '../execute/run-service.js';
import type { Pipeline } from '../spec/model.js';
import type { RunRow } from '../state/run-store.js';
import type { Admission, RunRequestRow, ScheduleStore } from '../state/schedule-store.js';

export interface StartedRun {
  request: RunRequestRow;
  run: RunRow;
  source: PipelineSource;
}

export interface DispatchResult {
  started: StartedRun[];
  skipped: { request: RunRequestRow; message: string }[];
  failed: { request: RunRequestRow; message: string }[];
}

export class RequestDispatcher {
  constructor(
    private readonly store: ScheduleStore,
    private readonly service: RunService,
    private readonly now: () => number = Date.now,
  ) {}

  /** Settles every queued request that can be settled now; `sourceOf` gives the version to run. */
  dispatch(sourceOf: (pipeline: string) => PipelineSource | undefined): DispatchResult {
    const result: DispatchResult = { started: [], skipped: [], failed: [] };
    const full = new Set<string>();
    for (const request of this.store.queued()) {
      if (full.has(request.pipeline)) continue;
      const source = sourceOf(request.pipeline);
      // Another daemon, serving another folder, may know this pipeline.
      if (!source) continue;
      const outcome = this.admit(request, source);
      if (!outcome) continue;
      if (outcome.kind === 'started') result.started.push({ request, run: outcome.run, source });
      else if (outcome.kind === 'skipped') result.skipped.push({ request, message: outcome.message });
      else if (outcome.kind === 'failed') result.failed.push({ request, message: outcome.message });
      else full.add(request.pipeline);
    }
    return result;
  }

  private admit(request: RunRequestRow, source: PipelineSource): Admission | { kind: 'failed'; message: string } | undefined {
    const { pipeline } = source;
    const waits = pipeline.queue || request.trigger_type === 'backfill';
    const decide = (): Admission | undefined => {
      const active = this.activeRunCount(pipeline);
      if (active < pipeline.maxConcurrentRuns) return undefined;
      const going = active === 1 ? 'a run was already going' : `${active} runs were already going`;
      return waits ? { kind: 'waiting' }
        : { kind: 'skipped', message: `max_concurrent_runs is ${pipeline.maxConcurrentRuns} and ${going} (queue: false skips instead of waiting)` };
    };
    // A cheap look first: a full pipeline needs no git lookup or run row.
    const early = decide();
    if (early?.kind === 'waiting') return early;
    if (early) return this.store.admit(request.id, () => early, this.now());
    try {
      return this.service.createRunWithin(source, {
        parameters: JSON.parse(request.parameters_json) as Record<string, string>,
        triggerType: request.trigger_type, triggerTime: new Date(request.trigger_time_ms),
      }, (create) => this.store.admit(request.id, () => decide() ?? { kind: 'started', run: create() }, this.now()));
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      // The pipeline changed since the request was made (a parameter it no longer has): the request cannot run.
      this.store.fail(request.id, error.message, this.now());
      return { kind: 'failed', message: error.message };
    }
  }

  /** Runs of the pipeline whose runner lives; a run left by a dead runner waits for recovery and takes no slot. */
  private activeRunCount(pipeline: Pipeline): number {
    return this.store.activeRuns(pipeline.name).filter(isRunnerAlive).length;
  }
}
