// The run detail's tasks: the DAG by layers (indented), each task's state,
// attempts and duration, and a timeline bar showing when in the run it ran.
import { Box } from 'ink';
import { elapsed, formatDuration } from '../../cli/run-format.js';
import type { TaskLine } from '../dag-layers.js';
import { timelineBar } from '../timeline.js';
import { HeaderRow, layoutColumns, TableRow } from './table.js';

export interface TaskTableProps {
  lines: readonly TaskLine[];
  /** Index into `lines` of the selected task, and of the first one shown. */
  selected: number;
  start: number;
  height: number;
  width: number;
  attemptCounts: ReadonlyMap<string, number>;
  /** The run's span for the timeline; its end is now while it runs. */
  span: { startMs: number; endMs: number };
  /** null: the run is interrupted, so what was running has no end to measure to. */
  now: number | null;
}

export function TaskTable({ lines, selected, start, height, width, attemptCounts, span, now }: TaskTableProps) {
  // TASK STATE ATTEMPTS DURATION TIMELINE
  const timeline = Math.max(10, Math.floor(width / 4));
  const widths = layoutColumns(width, [0, width >= 100 ? 19 : 17, 3, 8, timeline], 0, 12);
  const titles = ['TASK', 'STATE', 'ATT', 'DURATION', 'TIMELINE'].map((text, i) => ({ text, width: widths[i]! }));
  return (
    <Box flexDirection="column">
      <HeaderRow titles={titles} />
      {lines.slice(start, start + height).map(({ row, depth }, i) => (
        <TableRow key={row.task_key} selected={start + i === selected} cells={[
          { text: '  '.repeat(depth) + row.task_key, width: widths[0]!, paint: 'cyan' },
          { text: row.state, width: widths[1]!, state: true },
          { text: String(attemptCounts.get(row.task_key) ?? '-'), width: widths[2]! },
          { text: formatDuration(elapsed(row.start_ms, row.end_ms, now)), width: widths[3]! },
          { text: timelineBar(span, { startMs: row.start_ms, endMs: row.end_ms }, widths[4]!), width: widths[4]!, paint: barPaint(row.state) },
        ]} />
      ))}
    </Box>
  );
}

function barPaint(state: string) {
  if (state === 'SUCCESS') return 'green' as const;
  if (state === 'RUNNING') return 'cyan' as const;
  if (state === 'FAILED' || state === 'TIMEDOUT') return 'red' as const;
  return 'dim' as const;
}
