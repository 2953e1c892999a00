// Fixed-width columns for the UI's lists: each cell cut or padded to its
// width, so columns line up at any terminal size, and the selected row
// marked by `›` and reverse video (visible without colour too).
import { Text } from 'ink';
import type { Paint } from '../../cli/run-format.js';
import { fit, Painted, StateBadge } from '../theme.js';

export interface Cell {
  text: string;
  width: number;
  paint?: Paint;
  /** Render as a state badge (symbol and colour) instead of plain text. */
  state?: boolean;
}

export function TableRow({ cells, selected = false }: { cells: readonly Cell[]; selected?: boolean }) {
  return (
    <Text inverse={selected} wrap="truncate">
      {selected ? '›' : ' '}
      {cells.map((cell, i) => (
        <Text key={i}>
          {' '}
          {cell.state ? <StateBadge state={cell.text} width={cell.width} /> : <Painted paint={cell.paint}>{fit(cell.text, cell.width)}</Painted>}
        </Text>
      ))}
    </Text>
  );
}

export function HeaderRow({ titles }: { titles: readonly { text: string; width: number }[] }) {
  return (
    <Text wrap="truncate">
      <Painted paint="dim">{' ' + titles.map((t) => ` ${fit(t.text, t.width)}`).join('')}</Painted>
    </Text>
  );
}

/**
 * Widths for columns of which one is flexible: the fixed ones as given,
 * the flexible one gets what is left (at least `minFlex`).
 */
export function layoutColumns(total: number, fixed: readonly number[], flexAt: number, minFlex: number): number[] {
  const gaps = fixed.length + 2; // a space before each column, and the selection marker
  const used = fixed.reduce((a, b, i) => (i === flexAt ? a : a + b), 0);
  return fixed.map((w, i) => (i === flexAt ? Math.max(minFlex, total - used - gaps) : w));
}
