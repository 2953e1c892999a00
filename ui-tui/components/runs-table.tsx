// The runs list: one row per run, newest first, with the state's symbol and
// colour, how long it took (or has taken so far), and a sparkline of the
// pipeline's recent durations.
import { Box, Text } from 'ink';
import { elapsed, formatDuration, formatTime, INTERRUPTED } from '../../cli/run-format.js';
import type { RunListItem } from '../data/run-hooks.js';
import { HeaderRow, layoutColumns, TableRow } from './table.js';

export function runColumns(width: number): number[] {
  const wide = width >= 110;
  // RUN PIPELINE TRIGGER STATE STARTED DURATION TREND
  return layoutColumns(width, [6, 0, 8, wide ? 23 : 16, wide ? 19 : 11, 8, 10], 1, 8);
}

export function RunsTable({ items, selected, width, now }: { items: readonly RunListItem[]; selected: number; width: number; now: number }) {
  const widths = runColumns(width);
  const titles = ['RUN', 'PIPELINE', 'TRIGGER', 'STATE', 'STARTED', 'DURATION', 'TREND'].map((text, i) => ({ text, width: widths[i]! }));
  const started = (ms: number | null) => (widths[4]! >= 19 ? formatTime(ms) : formatTime(ms).slice(5, 16));
  return (
    <Box flexDirection="column">
      <HeaderRow titles={titles} />
      {items.map(({ run, state, trend }, i) => (
        <TableRow key={run.id} selected={i === selected} cells={[
          { text: String(run.id), width: widths[0]!, paint: 'bold' },
          { text: run.pipeline, width: widths[1]!, paint: 'cyan' },
          { text: run.trigger_type, width: widths[2]! },
          { text: state, width: widths[3]!, state: true },
          { text: started(run.start_ms), width: widths[4]! },
          { text: formatDuration(elapsed(run.start_ms, run.end_ms, state === INTERRUPTED ? null : now)), width: widths[5]! },
          { text: trend, width: widths[6]!, paint: 'dim' },
        ]} />
      ))}
      {items.length === 0 ? <Text> no runs</Text> : null}
    </Box>
  );
}
