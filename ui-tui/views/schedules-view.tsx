// The pipelines of the pipelines folder, scheduled ones first: cron, next
// fire time, paused or not, and the last run's result. Trigger a run, or
// pause and unpause a schedule (through the scheduler's commands).
import { Box, Text } from 'ink';
import { useState } from 'react';
import { formatDuration, formatTime } from '../../cli/run-format.js';
import type { KeyHelp } from '../components/chrome.js';
import { HeaderRow, layoutColumns, TableRow } from '../components/table.js';
import { useSchedules } from '../data/catalog-hooks.js';
import { useLive } from '../data/live.js';
import { useViewKeys } from '../keyboard.js';
import { movement, useListCursor, type ViewProps } from '../navigation.js';

export const SCHEDULE_KEYS: readonly KeyHelp[] = [
  { keys: '↑↓/jk', does: 'move' },
  { keys: 't', does: 'run now' },
  { keys: 'p', does: 'pause/unpause' },
  { keys: 'R', does: 'reread folder' },
];

export function SchedulesView({ width, height, active, nav }: ViewProps) {
  const { now } = useLive();
  const [reload, setReload] = useState(0);
  const schedules = useSchedules(reload, now);
  const rows = Math.max(1, height - 1);
  const cursor = useListCursor(rows);
  const items = schedules.data ?? [];
  const { selected, start } = cursor.view(items.length);
  const current = items[selected];

  useViewKeys((input, key) => {
    const by = movement(input, key, rows);
    if (by !== undefined) cursor.move(by, items.length);
    else if (input === 'R') setReload((n) => n + 1);
    else if (!current) return;
    else if (current.entry.problem) nav.tell(`${current.entry.file}: ${current.entry.problem}`, 'bad');
    else if (input === 't') nav.ask({ kind: 'trigger', pipeline: current.entry.name, file: current.entry.file });
    else if (input === 'p' && !current.entry.schedule) nav.tell(`'${current.entry.name}' has no schedule`, 'info');
    else if (input === 'p') nav.ask({ kind: current.paused ? 'unpause' : 'pause', pipeline: current.entry.name });
  }, active);

  if (schedules.error) return <Text>{schedules.error}</Text>;
  if (items.length === 0) return <Text>{'no pipeline files in the pipelines folder (sluice ui --pipelines <folder> names another)'}</Text>;
  // PIPELINE CRON NEXT IN STATUS LAST-RUN LAST-STATE
  const widths = layoutColumns(width, [0, 13, width >= 100 ? 19 : 11, 7, 7, 6, width >= 100 ? 23 : 16], 0, 10);
  const titles = ['PIPELINE', 'SCHEDULE', 'NEXT', 'IN', 'STATUS', 'LAST', 'RESULT'].map((text, i) => ({ text, width: widths[i]! }));
  return (
    <Box flexDirection="column" width={width} height={height}>
      <HeaderRow titles={titles} />
      {items.slice(start, start + rows).map(({ entry, next, last, paused }, i) => {
        const nextText = next ? (widths[2]! >= 19 ? formatTime(next.getTime()) : formatTime(next.getTime()).slice(5, 16)) : '-';
        const status = entry.problem ? 'invalid' : !entry.schedule ? 'manual' : paused ? 'paused' : 'active';
        return (
          <TableRow key={entry.file} selected={start + i === selected} cells={[
            { text: entry.name, width: widths[0]!, paint: entry.problem ? 'red' : 'cyan' },
            { text: entry.schedule?.cron ?? '-', width: widths[1]! },
            { text: nextText, width: widths[2]! },
            { text: next ? formatDuration(next.getTime() - now) : '-', width: widths[3]! },
            { text: status, width: widths[4]!, paint: status === 'paused' ? 'yellow' : status === 'invalid' ? 'red' : status === 'manual' ? 'dim' : undefined },
            { text: last ? String(last.run.id) : '-', width: widths[5]!, paint: 'bold' },
            last ? { text: last.state, width: widths[6]!, state: true } : { text: 'never ran', width: widths[6]!, paint: 'dim' },
          ]} />
        );
      })}
    </Box>
  );
}
