// The Gantt-like bar of a task in the run detail: where in the run's time
// the task ran, as blocks on a track as wide as the column.
export interface Span {
  startMs: number | null;
  endMs: number | null;
}

/**
 * `width` characters: `█` where the task ran within the run's span, `·`
 * elsewhere; a task shorter than one character still gets one block.
 * A task that has not started is all blank.
 */
export function timelineBar(run: { startMs: number; endMs: number }, task: Span, width: number): string {
  if (width <= 0) return '';
  if (task.startMs === null) return ' '.repeat(width);
  const length = Math.max(1, run.endMs - run.startMs);
  const column = (ms: number) => Math.min(width - 1, Math.max(0, Math.floor(((ms - run.startMs) / length) * width)));
  const from = column(task.startMs);
  const to = Math.max(from, column(task.endMs ?? run.endMs));
  return '·'.repeat(from) + '█'.repeat(to - from + 1) + '·'.repeat(width - to - 1);
}
