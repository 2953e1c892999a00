// What happens to a run whose runner died (kill -9, a crash, a reboot):
// its attempts' processes are stopped and the attempts recorded as lost;
// then the run is either made ready to go on (resume) or ended (cancel).
import type { AttemptRow, RunRow, RunStore } from '../state/run-store.js';
import { isTerminalRunState, isTerminalTaskState } from '../state/states.js';
import { attemptId } from './process-attempt.js';
import { findProcessesByEnv, isProcessAlive, signalProcessGroup } from './process-control.js';

export function isRunnerAlive(run: RunRow): boolean {
  return run.runner_pid !== null && isProcessAlive(run.runner_pid, run.runner_started);
}

/**
 * Stops what the dead runner left running and settles its attempts: LOST
 * when the run will go on, CANCELED when it is being canceled. Tasks that
 * had not finished go back to PENDING (resume) or become CANCELED.
 * Child runs of run_pipeline tasks get the same treatment.
 */
export function recoverRun(store: RunStore, stateId: string, runId: number, mode: 'resume' | 'cancel', resumedBy = 'sluice resume'): void {
  // Stop the processes first, then record everything in one transaction:
  // a crash in between leaves the run as it was, ready for the same recovery.
  const running = store.attempts(runId).filter((attempt) => attempt.state === 'RUNNING');
  for (const attempt of running) killAttemptProcesses(stateId, attempt.run_id, attempt.task_key, attempt.attempt, attempt.pid);
  store.atomically(() => record(store, stateId, runId, mode, running, resumedBy));
}

/** `resumedBy` names who goes on with the run, in the lost attempts' error: `sluice resume`, or the daemon that took over. */
function record(store: RunStore, stateId: string, runId: number, mode: 'resume' | 'cancel', running: readonly AttemptRow[], resumedBy: string): void {
  const now = Date.now();
  for (const attempt of running) {
    const error = mode === 'resume' ? `the runner stopped while this attempt ran; it was run again by ${resumedBy}`
      : 'the runner stopped while this attempt ran; the run was canceled';
    store.finishAttempt(runId, attempt.task_key, attempt.attempt, { state: mode === 'resume' ? 'LOST' : 'CANCELED', endMs: now, error });
  }
  for (const task of store.taskRuns(runId)) {
    if (task.child_run_id !== null) {
      const child = store.run(task.child_run_id);
      if (child && !isTerminalRunState(child.state)) {
        recoverRun(store, stateId, child.id, mode, resumedBy);
        if (mode === 'cancel') store.finishRun(child.id, 'CANCELED', 'canceled with its parent run', now);
      }
    }
    if (isTerminalTaskState(task.state)) continue;
    if (mode === 'cancel') store.setTaskState(runId, task.task_key, 'CANCELED', now, { message: 'the run was canceled' });
    else if (task.state !== 'RETRY_WAIT') store.setTaskState(runId, task.task_key, 'PENDING', now);
  }
}

function killAttemptProcesses(stateId: string, runId: number, taskKey: string, attempt: number, pid: number | null): void {
  // The attempt's processes carry its id in their environment: that finds
  // those that left the process group, or whose pid was never recorded, and
  // never a stranger that got a recorded pid after the task ended.
  const marked = findProcessesByEnv('SLUICE_ATTEMPT_ID', attemptId(stateId, runId, taskKey, attempt));
  if (marked === undefined) {
    // No /proc to look in (not Linux): trust the recorded pid.
    if (pid !== null) signalProcessGroup(pid, 'SIGKILL');
    return;
  }
  if (pid !== null && marked.includes(pid)) signalProcessGroup(pid, 'SIGKILL');
  for (const orphan of marked) {
    try {
      process.kill(orphan, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
