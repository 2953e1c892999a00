// Runs, newest first: one screenful read at a time, filtered with `/`.
import { Box, Text } from 'ink';
import { useEffect, useRef, useState } from 'react';
import type { KeyHelp } from '../components/chrome.js';
import { RunsTable } from '../components/runs-table.js';
import { useLive } from '../data/live.js';
import { useRunsWindow } from '../data/run-hooks.js';
import { useViewKeys } from '../keyboard.js';
import { movement, useListCursor, type ViewProps } from '../navigation.js';
import { askCancel, askRepair } from '../run-actions.js';
import { fit, Painted } from '../theme.js';

export const RUNS_KEYS: readonly KeyHelp[] = [
  { keys: '↑↓/jk', does: 'move' },
  { keys: 'enter', does: 'open' },
  { keys: '/', does: 'filter' },
  { keys: 'r', does: 'repair' },
  { keys: 'c', does: 'cancel' },
  { keys: 'g/G', does: 'first/last' },
  { keys: 'PgUp/PgDn', does: 'page' },
];

export function RunsView({ width, height, active, nav }: ViewProps) {
  const [filter, setFilter] = useState('');
  const [typing, setTyping] = useState(false);
  const rows = Math.max(1, height - 2); // the filter line and the column titles
  const cursor = useListCursor(rows);
  const { now } = useLive();
  const runs = useRunsWindow(filter, cursor.start, rows);
  const total = runs.data?.total ?? 0;
  // New runs arrive at the top (newest first): keep the selected run selected, not its row.
  const seen = useRef({ total, filter });
  useEffect(() => {
    if (runs.data && seen.current.filter === filter && total > seen.current.total) cursor.rowsAddedAbove(total - seen.current.total);
    if (runs.data) seen.current = { total, filter };
  }, [total, filter]);
  const { selected } = cursor.view(total);
  const items = runs.data?.items ?? [];
  const current = items[selected - cursor.start];

  const type = (on: boolean) => {
    setTyping(on);
    nav.setTyping(on);
  };

  useViewKeys((input, key) => {
    if (typing) {
      if (key.return) type(false);
      else if (key.escape) { type(false); setFilter(''); cursor.reset(); }
      else if (key.backspace || key.delete) { setFilter((f) => f.slice(0, -1)); cursor.reset(); }
      else if (input && !key.ctrl && !key.meta && !key.tab) { setFilter((f) => f + input); cursor.reset(); }
      return;
    }
    const by = movement(input, key, rows);
    if (by !== undefined) cursor.move(by, total);
    else if (input === '/') type(true);
    else if (key.escape && filter !== '') { setFilter(''); cursor.reset(); }
    else if (current && (key.return || input === 'l' || key.rightArrow)) nav.open({ view: 'run', runId: current.run.id });
    else if (current && input === 'r') askRepair(current.run, current.state, nav);
    else if (current && input === 'c') askCancel(current.run, current.state, nav);
  }, active);

  const shown = filter === '' ? `${total.toLocaleString('en-US')} runs` : `${total.toLocaleString('en-US')} runs match`;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text>
        {typing || filter !== ''
          ? <Text><Text bold>/</Text>{filter}{typing ? <Text inverse> </Text> : ''}  <Painted paint="dim">{shown}</Painted></Text>
          : <Painted paint="dim">{fit(shown, width - 1)}</Painted>}
      </Text>
      {runs.error ? <Text>{runs.error}</Text> : <RunsTable items={items} selected={selected - cursor.start} width={width} now={now} />}
    </Box>
  );
}
