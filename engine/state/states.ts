// Run, task and attempt states. The names are Databricks' (result_state and
// life-cycle states), so `{{tasks.x.result_state}}` reads as Databricks users expect.

export const TERMINAL_TASK_STATES = [
  'SUCCESS', 'FAILED', 'TIMEDOUT', 'CANCELED', 'UPSTREAM_FAILED', 'UPSTREAM_CANCELED', 'EXCLUDED', 'DISABLED', 'SKIPPED',
] as const;
export type TerminalTaskState = (typeof TERMINAL_TASK_STATES)[number];
/** RETRY_WAIT: between a failed attempt and the next. */
export type TaskState = 'PENDING' | 'RUNNING' | 'RETRY_WAIT' | TerminalTaskState;

export const TERMINAL_RUN_STATES = ['SUCCESS', 'SUCCESS_WITH_FAILURES', 'FAILED', 'TIMEDOUT', 'CANCELED'] as const;
export type TerminalRunState = (typeof TERMINAL_RUN_STATES)[number];
export type RunState = 'RUNNING' | TerminalRunState;

/** LOST: the runner died while the attempt ran; its outcome is unknown, so it counts as failed. */
export type AttemptState = 'RUNNING' | 'SUCCESS' | 'FAILED' | 'TIMEDOUT' | 'CANCELED' | 'LOST';

export function isTerminalTaskState(state: string): state is TerminalTaskState {
  return (TERMINAL_TASK_STATES as readonly string[]).includes(state);
}

export function isTerminalRunState(state: string): state is TerminalRunState {
  return (TERMINAL_RUN_STATES as readonly string[]).includes(state);
}

/** States that `sluice repair` reruns by default (with everything downstream of them). */
export const REPAIRABLE_TASK_STATES: ReadonlySet<string> = new Set([
  'FAILED', 'TIMEDOUT', 'CANCELED', 'UPSTREAM_FAILED', 'UPSTREAM_CANCELED', 'SKIPPED',
]);
