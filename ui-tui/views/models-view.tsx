// The model registry's versions, once the registry exists: until then a
// plain note. The registry keeps a `model_versions` table in the state database;
// this view shows it as it is, newest first, without assuming its columns.
import { Box, Text } from 'ink';
import type { KeyHelp } from '../components/chrome.js';
import { HeaderRow, TableRow } from '../components/table.js';
import { useModels } from '../data/catalog-hooks.js';
import { useViewKeys } from '../keyboard.js';
import { movement, useListCursor, type ViewProps } from '../navigation.js';
import { Painted } from '../theme.js';

export const MODEL_KEYS: readonly KeyHelp[] = [{ keys: '↑↓/jk', does: 'move' }];

/** Rows read: a registry keeps few versions per model, and this is a look, not an export. */
const MODEL_ROWS = 500;
const MAX_COLUMN = 24;

export function ModelsView({ width, height, active }: ViewProps) {
  const models = useModels(MODEL_ROWS);
  const rows = Math.max(1, height - 1);
  const cursor = useListCursor(rows);
  const data = models.data;
  const total = data?.rows.length ?? 0;
  const { selected, start } = cursor.view(total);

  useViewKeys((input, key) => {
    const by = movement(input, key, rows);
    if (by !== undefined) cursor.move(by, total);
  }, active);

  if (models.error) return <Text>{models.error}</Text>;
  if (!data?.registry) {
    return (
      <Box flexDirection="column" width={width} height={height}>
        <Text bold>no model registry yet</Text>
        <Painted paint="dim">Model versions, aliases and drift verdicts appear here once the registry has written to this state database.</Painted>
      </Box>
    );
  }
  const text = (value: unknown) => (value === null || value === undefined ? '' : String(value));
  const widths: number[] = [];
  let used = 1;
  for (const column of data.columns) {
    const wanted = Math.min(MAX_COLUMN, Math.max(column.length, ...data.rows.map((row) => text(row[column]).length)));
    if (used + wanted + 1 > width) break;
    widths.push(wanted);
    used += wanted + 1;
  }
  const columns = data.columns.slice(0, widths.length);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <HeaderRow titles={columns.map((c, i) => ({ text: c.toUpperCase(), width: widths[i]! }))} />
      {data.rows.slice(start, start + rows).map((row, i) => (
        <TableRow key={start + i} selected={start + i === selected}
          cells={columns.map((c, j) => ({ text: text(row[c]), width: widths[j]! }))} />
      ))}
      {total === 0 ? <Text> no models registered yet</Text> : null}
    </Box>
  );
}
