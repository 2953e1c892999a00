// Repair and cancel from the runs list and the run detail: only what makes
// sense for the run's state is asked for confirmation; anything else is
// explained instead of failing in a detached process.
import type { RunRow } from '../engine/state/run-store.js';
import { isTerminalRunState } from '../engine/state/states.js';
import { INTERRUPTED } from '../cli/run-format.js';
import type { Navigator } from './navigation.js';

export function askRepair(run: RunRow, state: string, nav: Navigator): void {
  if (state === INTERRUPTED) nav.tell(`run ${run.id} was interrupted: \`sluice resume ${run.id}\` continues it`, 'bad');
  else if (!isTerminalRunState(state)) nav.tell(`run ${run.id} is still running; repair it once it has ended`, 'bad');
  else if (state === 'SUCCESS') nav.tell(`run ${run.id} succeeded: nothing to repair`, 'info');
  else nav.ask({ kind: 'repair', runId: run.id });
}

export function askCancel(run: RunRow, state: string, nav: Navigator): void {
  if (isTerminalRunState(state)) nav.tell(`run ${run.id} has already ended (${state})`, 'info');
  else nav.ask({ kind: 'cancel', runId: run.id });
}
