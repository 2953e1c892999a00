// Where the user is: a stack of screens under one of the top views that tab
// cycles through, and what a view may ask of the app around it.
import type { Key } from 'ink';
import { useState } from 'react';
import type { UiAction } from './actions.js';
import type { Tone } from './components/chrome.js';
import { moveSelection, windowStart } from './list-window.js';

export const TOP_VIEWS = ['runs', 'schedules', 'models'] as const;
export type TopView = (typeof TOP_VIEWS)[number];

export type Screen =
  | { view: TopView }
  | { view: 'run'; runId: number }
  | { view: 'log'; runId: number; taskKey: string };

export interface Navigator {
  open(screen: Screen): void;
  /** Asks for confirmation, then starts the action. */
  ask(action: UiAction): void;
  tell(text: string, tone: Tone): void;
  /** While a view reads typed text (a filter), the app's own keys (q, tab, esc) go to it. */
  setTyping(typing: boolean): void;
}

/** What every view gets: its box, whether it has the keyboard, and the navigator. */
export interface ViewProps {
  width: number;
  height: number;
  active: boolean;
  nav: Navigator;
}

/** How far a key moves a list selection: arrows and j/k by one, pages, g/G (home/end) to the ends. */
export function movement(input: string, key: Key, page: number): number | undefined {
  if (key.upArrow || input === 'k') return -1;
  if (key.downArrow || input === 'j') return 1;
  if (key.pageUp || (key.ctrl && input === 'b')) return -Math.max(1, page);
  if (key.pageDown || (key.ctrl && input === 'f') || input === ' ') return Math.max(1, page);
  if (key.home || input === 'g') return -Infinity;
  if (key.end || input === 'G') return Infinity;
  return undefined;
}

/** A selection in a list of `total` rows shown `height` at a time. */
export function useListCursor(height: number) {
  const [state, setState] = useState({ selected: 0, start: 0 });
  return {
    /** The selection and first visible row, kept valid for the list as it is now. */
    view(total: number) {
      const selected = Math.max(0, Math.min(state.selected, total - 1));
      return { selected, start: windowStart(selected, state.start, height, total) };
    },
    /** The first row to read, as the last movement left it (lists read a window at a time). */
    start: state.start,
    move(by: number, total: number) {
      setState((prev) => {
        const selected = moveSelection(Math.min(prev.selected, Math.max(0, total - 1)), by, total);
        return { selected, start: windowStart(selected, prev.start, height, total) };
      });
    },
    reset() {
      setState({ selected: 0, start: 0 });
    },
    /** Rows were added above the list's top: the selection stays on its item (the top row stays the top). */
    rowsAddedAbove(count: number) {
      setState((prev) => (prev.selected === 0 ? prev : { selected: prev.selected + count, start: prev.start + count }));
    },
  };
}
