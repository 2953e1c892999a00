// One attempt's output, scrolled by line. In follow mode (the default, as in
// `tail -f`) the view stays at the end as the file grows; scrolling up stops
// following and G (end) starts again.
import { Box, Text } from 'ink';
import { useState } from 'react';
import type { KeyHelp } from '../components/chrome.js';
import { useAttemptOutput } from '../data/log-tail.js';
import { useRunDetail } from '../data/run-hooks.js';
import { useViewKeys } from '../keyboard.js';
import { movement, type ViewProps } from '../navigation.js';
import { cutTo, Painted, StateBadge } from '../theme.js';

export const LOG_KEYS: readonly KeyHelp[] = [
  { keys: '↑↓/jk', does: 'scroll' },
  { keys: 'PgUp/PgDn', does: 'page' },
  { keys: 'f', does: 'follow' },
  { keys: '[ ]', does: 'attempt' },
  { keys: 'g/G', does: 'top/end' },
  { keys: 'esc', does: 'back' },
];

export function LogView({ runId, taskKey, width, height, active }: ViewProps & { runId: number; taskKey: string }) {
  const detail = useRunDetail(runId);
  const attempts = detail.data?.attempts.get(taskKey) ?? [];
  /** null: the latest attempt, moving on when a retry starts. */
  const [chosen, setChosen] = useState<number | null>(null);
  const index = chosen === null ? attempts.length - 1 : Math.min(chosen, attempts.length - 1);
  const attempt = attempts[index];
  const lines = useAttemptOutput(detail.data?.run.run_dir, attempt);
  const [follow, setFollow] = useState(true);
  const [top, setTop] = useState(0);
  const rows = Math.max(1, height - 1);
  const lastTop = Math.max(0, lines.length - rows);
  const shownTop = follow ? lastTop : Math.min(top, lastTop);

  useViewKeys((input, key) => {
    const by = movement(input, key, rows);
    if (by !== undefined) {
      const next = Math.max(0, Math.min(lastTop, shownTop + by));
      setTop(next);
      setFollow(next >= lastTop && by > 0);
    } else if (input === 'f') {
      setFollow((on) => !on);
      setTop(shownTop);
    } else if (input === '[' && index > 0) {
      setChosen(index - 1);
    } else if (input === ']') {
      setChosen(index + 1 >= attempts.length - 1 ? null : index + 1);
    }
  }, active);

  if (detail.error) return <Text>{detail.error}</Text>;
  const where = attempt ? `attempt ${attempt.attempt} of ${attempts.length}` : 'no attempt yet';
  const position = lines.length === 0 ? 'no output yet' : `lines ${shownTop + 1}-${Math.min(lines.length, shownTop + rows)} of ${lines.length}`;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate">
        <Text bold>{taskKey}</Text> <Painted paint="dim">{`${where} `}</Painted>
        {attempt ? <StateBadge state={attempt.state} /> : null}
        <Painted paint="dim">{`  ${position}  ${follow ? 'following' : 'follow off (f)'}`}</Painted>
      </Text>
      {lines.slice(shownTop, shownTop + rows).map((text, i) => (
        <Text key={shownTop + i} wrap="truncate">{cutTo(text, width)}</Text>
      ))}
    </Box>
  );
}
