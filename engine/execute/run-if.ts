// Whether a task whose dependencies have all finished runs, and if not, what
// it is marked: Databricks' run_if rules. Excluded dependencies count as
// succeeded; a task whose dependencies were all excluded is excluded too;
// failure handlers (at_least_one_failed, all_failed) whose rule is not met are
// excluded rather than upstream-failed, and canceled counts as failed for them.
import type { RunIf } from '../spec/model.js';
import type { TerminalTaskState } from '../state/states.js';

export interface FinishedDependency {
  taskKey: string;
  state: TerminalTaskState;
  /** The dependency named an outcome of a condition, and the condition decided the other way. */
  outcomeMismatch?: boolean;
}

export type RunDecision =
  | { run: true }
  | { run: false; state: 'UPSTREAM_FAILED' | 'UPSTREAM_CANCELED' | 'EXCLUDED' | 'SKIPPED'; message: string };

type Kind = 'succeeded' | 'excluded' | 'failed' | 'canceled' | 'not_run';

function kindOf(state: TerminalTaskState): Kind {
  switch (state) {
    case 'SUCCESS': return 'succeeded';
    case 'EXCLUDED': return 'excluded';
    case 'FAILED': case 'TIMEDOUT': case 'UPSTREAM_FAILED': return 'failed';
    case 'CANCELED': case 'UPSTREAM_CANCELED': return 'canceled';
    case 'DISABLED': case 'SKIPPED': return 'not_run';
  }
}

export function decideRunIf(runIf: RunIf, dependencies: readonly FinishedDependency[]): RunDecision {
  if (dependencies.length === 0) return { run: true };
  const mismatch = dependencies.find((d) => d.outcomeMismatch);
  if (mismatch) {
    return { run: false, state: 'EXCLUDED', message: `the outcome of condition '${mismatch.taskKey}' selects the other branch` };
  }
  const kinds = dependencies.map((d) => kindOf(d.state));
  const count = (...wanted: Kind[]) => kinds.filter((k) => wanted.includes(k)).length;
  if (count('excluded') === dependencies.length) {
    return { run: false, state: 'EXCLUDED', message: 'all its dependencies were excluded' };
  }
  const succeeded = count('succeeded', 'excluded');
  const failed = count('failed', 'canceled');
  const total = dependencies.length;
  let met: boolean;
  switch (runIf) {
    case 'all_success': met = succeeded === total; break;
    case 'at_least_one_success': met = succeeded > 0; break;
    case 'none_failed': met = failed === 0 && succeeded > 0; break;
    case 'all_done': met = true; break;
    case 'at_least_one_failed': met = failed > 0; break;
    case 'all_failed': met = failed === total; break;
  }
  if (met) return { run: true };
  const states = dependencies.map((d) => `${d.taskKey} ${d.state}`).join(', ');
  const message = `run_if ${runIf} not met (${states})`;
  if (runIf === 'at_least_one_failed' || runIf === 'all_failed') return { run: false, state: 'EXCLUDED', message };
  if (count('canceled') > 0) return { run: false, state: 'UPSTREAM_CANCELED', message };
  if (count('failed') > 0) return { run: false, state: 'UPSTREAM_FAILED', message };
  return { run: false, state: 'SKIPPED', message };
}
