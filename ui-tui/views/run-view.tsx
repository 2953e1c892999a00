// One run: its header, the tasks as a layered DAG with a timeline each, and
// the selected task's dependencies, attempts and values.
import { Box, Text } from 'ink';
import { formatDuration, formatTime, elapsed, INTERRUPTED } from '../../cli/run-format.js';
import type { KeyHelp } from '../components/chrome.js';
import { TaskFacts } from '../components/task-facts.js';
import { TaskTable } from '../components/task-table.js';
import { useLive } from '../data/live.js';
import { type RunDetailData, useRunDetail } from '../data/run-hooks.js';
import { useViewKeys } from '../keyboard.js';
import { movement, useListCursor, type ViewProps } from '../navigation.js';
import { askCancel, askRepair } from '../run-actions.js';
import { Painted, StateBadge } from '../theme.js';

export const RUN_KEYS: readonly KeyHelp[] = [
  { keys: '↑↓/jk', does: 'task' },
  { keys: 'enter', does: 'logs' },
  { keys: 'r', does: 'repair' },
  { keys: 'c', does: 'cancel' },
  { keys: 'esc', does: 'back' },
];

/** Lines for the selected task's facts under the list. */
const FACTS_HEIGHT = 6;

export function RunView({ runId, width, height, active, nav }: ViewProps & { runId: number }) {
  const { now } = useLive();
  const detail = useRunDetail(runId);
  const factsHeight = height >= 20 ? FACTS_HEIGHT : 3;
  const rows = Math.max(1, height - 2 - 1 - factsHeight); // header lines, column titles, facts
  const cursor = useListCursor(rows);
  const data = detail.data;
  const total = data?.tasks.length ?? 0;
  const { selected, start } = cursor.view(total);
  const line = data?.tasks[selected];

  useViewKeys((input, key) => {
    if (!data) return;
    const by = movement(input, key, rows);
    if (by !== undefined) cursor.move(by, total);
    else if (line && (key.return || input === 'l' || key.rightArrow)) {
      if ((data.attempts.get(line.row.task_key)?.length ?? 0) > 0) nav.open({ view: 'log', runId, taskKey: line.row.task_key });
      else nav.tell(`task '${line.row.task_key}' has no output: it ran no process (${line.row.state})`, 'info');
    } else if (input === 'r') askRepair(data.run, data.state, nav);
    else if (input === 'c') askCancel(data.run, data.state, nav);
  }, active);

  if (detail.error) return <Text>{detail.error}</Text>;
  if (!data) return <Text>no run {runId} in this state database</Text>;
  const clock = data.state === INTERRUPTED ? null : now;
  const span = { startMs: data.run.start_ms ?? data.run.created_ms, endMs: data.run.end_ms ?? now };
  const attemptCounts = new Map([...data.attempts].map(([key, list]) => [key, list.length]));
  return (
    <Box flexDirection="column" width={width} height={height}>
      <RunHeader data={data} now={clock} />
      <TaskTable lines={data.tasks} selected={selected} start={start} height={rows} width={width}
        attemptCounts={attemptCounts} span={span} now={clock} />
      <Box flexGrow={1} />
      <TaskFacts line={line} attempts={line ? data.attempts.get(line.row.task_key) ?? [] : []}
        values={line ? data.values.get(line.row.task_key) ?? {} : {}} width={width} height={factsHeight} />
    </Box>
  );
}

function RunHeader({ data: { run, state, dependencies }, now }: { data: RunDetailData; now: number | null }) {
  const took = formatDuration(elapsed(run.start_ms, run.end_ms, now));
  const note = run.state_message?.split('\n').filter(Boolean).at(-1);
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        <Text bold>run {run.id}</Text> <Painted paint="cyan">{run.pipeline}</Painted> <StateBadge state={state} />
        <Painted paint="dim">{`  ${run.trigger_type} · ${formatTime(run.start_ms)} · ${run.end_ms === null ? 'running for' : 'took'} ${took}` +
          `${run.repair_count > 0 ? ` · repair ${run.repair_count}` : ''}${run.parent_run_id !== null ? ` · child of run ${run.parent_run_id}` : ''}`}</Painted>
      </Text>
      <Text wrap="truncate">
        <Painted paint={state === 'FAILED' || state === INTERRUPTED ? 'red' : 'dim'}>
          {note ?? (dependencies ? `${dependencies.size} tasks, by layer of the DAG` : 'tasks in stored order (the stored pipeline could not be read)')}
        </Painted>
      </Text>
    </Box>
  );
}
