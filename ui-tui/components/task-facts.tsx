// Under the task list: what the selected task depends on, why it ended as
// it did, its attempts in short, and the values it wrote.
import { Box, Text } from 'ink';
import type { AttemptRow } from '../../engine/state/run-store.js';
import { elapsed, formatDuration } from '../../cli/run-format.js';
import type { TaskLine } from '../dag-layers.js';
import { fit, Painted, StateBadge } from '../theme.js';

export interface TaskFactsProps {
  line: TaskLine | undefined;
  attempts: readonly AttemptRow[];
  values: Record<string, string>;
  width: number;
  height: number;
}

export function TaskFacts({ line, attempts, values, width, height }: TaskFactsProps) {
  if (!line) return <Box height={height} />;
  const { row, dependsOn } = line;
  const facts: { label: string; text: string }[] = [];
  if (dependsOn.length > 0) facts.push({ label: 'after', text: dependsOn.join(', ') });
  if (row.state_message) facts.push({ label: 'why', text: row.state_message.split('\n').filter(Boolean).at(-1) ?? '' });
  if (row.child_run_id !== null) facts.push({ label: 'child', text: `run ${row.child_run_id}` });
  const tried = attempts.map((a) => `#${a.attempt} ${a.state} ${formatDuration(elapsed(a.start_ms, a.end_ms, null))}` +
    (a.exit_code !== null && a.exit_code !== 0 ? ` exit ${a.exit_code}` : '') + (a.signal ? ` ${a.signal}` : ''));
  if (tried.length > 0) facts.push({ label: 'attempts', text: tried.slice(-4).join(' · ') });
  const entries = Object.entries(values);
  // The title line, then as many facts as fit, then values in what is left.
  facts.splice(Math.max(0, height - 1));
  const room = Math.max(0, height - 1 - facts.length);
  // When not all values fit, the last line says how many more there are.
  const valueRoom = entries.length > room ? Math.max(0, room - 1) : room;
  return (
    <Box flexDirection="column" height={height} width={width}>
      <Text wrap="truncate">
        <Painted paint="dim">{'─ '}</Painted><Text bold>{row.task_key}</Text> <StateBadge state={row.state} />
      </Text>
      {facts.map((fact) => (
        <Text key={fact.label} wrap="truncate"><Painted paint="dim">{fact.label.padEnd(9)}</Painted>{fit(fact.text, width - 10)}</Text>
      ))}
      {entries.slice(0, valueRoom).map(([name, value], i) => (
        <Text key={name} wrap="truncate">
          <Painted paint="dim">{(i === 0 ? 'values' : '').padEnd(9)}</Painted>{fit(`${name} = ${value.replace(/\s*\n\s*/g, ' ⏎ ')}`, width - 10)}
        </Text>
      ))}
      {entries.length > valueRoom && room > 0 ? <Painted paint="dim">{`         … ${entries.length - valueRoom} more values (sluice show)`}</Painted> : null}
    </Box>
  );
}
