// Colour in the UI, and its absence: with NO_COLOR (https://no-color.org)
// every component still renders, without colour, and each state keeps its
// symbol, so nothing is told by colour alone.
import { Text } from 'ink';
import { createContext, useContext, type ReactNode } from 'react';
import { type Paint, stateLook } from '../cli/run-format.js';

const ColourContext = createContext(true);

export function ColourScope({ enabled, children }: { enabled: boolean; children: ReactNode }) {
  return <ColourContext.Provider value={enabled}>{children}</ColourContext.Provider>;
}

export function colourWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NO_COLOR === undefined || env.NO_COLOR === '';
}

/** Text in one of the CLI's paints (red, green, dim, …), or plain under NO_COLOR. */
export function Painted({ paint, children, bold }: { paint?: Paint; children: ReactNode; bold?: boolean }) {
  const colour = useContext(ColourContext);
  if (!colour || paint === undefined) return <Text bold={bold || paint === 'bold'}>{children}</Text>;
  if (paint === 'dim') return <Text dimColor bold={bold}>{children}</Text>;
  if (paint === 'bold') return <Text bold>{children}</Text>;
  return <Text color={paint} bold={bold}>{children}</Text>;
}

/** A state as `✗ FAILED`: symbol and name, in the state's colour. */
export function StateBadge({ state, width }: { state: string; width?: number }) {
  const look = stateLook(state);
  const text = `${look.symbol} ${state}`;
  return <Painted paint={look.paint}>{width === undefined ? text : fit(text, width)}</Painted>;
}

/** Exactly `width` characters: cut with an ellipsis, or padded. */
export function fit(text: string, width: number): string {
  const cut = cutTo(text, width);
  return cut + ' '.repeat(Math.max(0, width - [...cut].length));
}

/** At most `width` characters; a longer text ends in an ellipsis. */
export function cutTo(text: string, width: number): string {
  if (width <= 0) return '';
  const chars = [...text];
  return chars.length > width ? `${chars.slice(0, width - 1).join('')}…` : text;
}
