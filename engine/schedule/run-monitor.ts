// Turns what runs do into notifications: start, success and failure of runs
// and tasks, and health rule breaches (RUN_DURATION_SECONDS GREATER_THAN),
// which are checked by a timer per run or task, once.
import type { RunEvent } from '../execute/run-executor.js';
import type { MonitoringSpec, NotificationEvent, Pipeline } from '../spec/model.js';
import type { Notifier, NotificationPayload } from './notifier.js';

const FAILED_STATES = new Set(['FAILED', 'TIMEDOUT', 'CANCELED']);

interface Watched {
  pipeline: Pipeline;
  triggerType?: string;
  startMs: number;
  timers: Map<string, NodeJS.Timeout>;
  /** Tasks whose start was notified: retries and later events do not start them again. */
  startedTasks: Set<string>;
}

export class RunMonitor {
  private readonly runs = new Map<number, Watched>();

  constructor(private readonly notifier: Notifier, private readonly log: (line: string) => void, private readonly now: () => number = Date.now) {}

  /** Watches a run this process drives; events of runs not watched (child runs) are looked up with `pipelineOf`. */
  watch(runId: number, pipeline: Pipeline, triggerType: string | undefined, startMs: number): void {
    if (!this.runs.has(runId)) this.runs.set(runId, { pipeline, triggerType, startMs, timers: new Map(), startedTasks: new Set() });
  }

  handle = (event: RunEvent): void => {
    const watched = this.runs.get(event.runId);
    if (!watched) return;
    const { pipeline } = watched;
    if (event.kind === 'run-started') {
      if (!event.resumed) this.notify(pipeline.monitoring, 'start', watched, { run_id: event.runId });
      this.armHealth(watched, '', pipeline.monitoring, event.runId, undefined);
    } else if (event.kind === 'run-finished') {
      for (const timer of watched.timers.values()) clearTimeout(timer);
      this.runs.delete(event.runId);
      const outcome = FAILED_STATES.has(event.state) ? 'failure' : 'success';
      this.notify(pipeline.monitoring, outcome, watched, { run_id: event.runId, state: event.state, message: event.message, duration_seconds: Math.round(event.durationMs / 1000) });
    } else {
      const task = pipeline.tasks.find((t) => t.key === event.taskKey);
      if (!task) return; // an iteration of a for_each: the loop task itself is what is watched
      if (event.state === 'RUNNING' && !watched.startedTasks.has(task.key)) {
        watched.startedTasks.add(task.key);
        this.notify(task.monitoring, 'start', watched, { run_id: event.runId, task_key: task.key });
        this.armHealth(watched, task.key, task.monitoring, event.runId, task.key);
      } else if (event.state === 'SUCCESS' || FAILED_STATES.has(event.state)) {
        clearTimeout(watched.timers.get(task.key));
        watched.timers.delete(task.key);
        this.notify(task.monitoring, event.state === 'SUCCESS' ? 'success' : 'failure', watched,
          { run_id: event.runId, task_key: task.key, state: event.state, message: event.message });
      }
    }
  };

  /** Stops the health timers (at shutdown). */
  close(): void {
    for (const watched of this.runs.values()) for (const timer of watched.timers.values()) clearTimeout(timer);
    this.runs.clear();
  }

  private armHealth(watched: Watched, timerKey: string, monitoring: MonitoringSpec, runId: number, taskKey: string | undefined): void {
    const limit = monitoring.maxDurationSeconds;
    if (limit === undefined) return;
    const started = taskKey === undefined ? watched.startMs : this.now();
    const timer = setTimeout(() => {
      const subject = taskKey === undefined ? `run ${runId} of '${watched.pipeline.name}'` : `task '${taskKey}' of run ${runId}`;
      this.log(`health: ${subject} has run longer than ${limit} s (RUN_DURATION_SECONDS GREATER_THAN ${limit})`);
      this.notify(monitoring, 'health', watched, {
        run_id: runId, task_key: taskKey, duration_seconds: Math.round((this.now() - started) / 1000), threshold_seconds: limit,
      });
    }, Math.max(0, started + limit * 1000 - this.now()));
    timer.unref();
    watched.timers.set(timerKey, timer);
  }

  private notify(monitoring: MonitoringSpec, event: NotificationEvent, watched: Watched, fields: Omit<NotificationPayload, 'event' | 'pipeline' | 'time'>): void {
    const targets = monitoring.notifications[event];
    if (targets.length === 0) return;
    const payload: NotificationPayload = {
      event, pipeline: watched.pipeline.name, ...fields, trigger_type: watched.triggerType, time: new Date(this.now()).toISOString(),
    };
    this.notifier.send(targets, payload, watched.pipeline.baseDir);
  }
}
