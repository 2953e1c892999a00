// One keyboard listener for the whole app. Ink's useInput subscribes in a
// passive effect, which runs after the frame is drawn: a view that was just
// opened would miss the next key, and the one it replaced would get it. Here
// the app listens once, and the view on top registers its handler while
// React commits (a layout effect), so every key goes to the view on screen.
import { type Key, useInput } from 'ink';
import { createContext, type MutableRefObject, type ReactNode, useContext, useLayoutEffect, useRef } from 'react';

export type KeyHandler = (input: string, key: Key) => void;

const ViewHandler = createContext<MutableRefObject<KeyHandler | undefined>>({ current: undefined });

/**
 * Listens for keys; `onKey` gets each with the handler of the view on top,
 * to call when the key is not the app's own.
 */
export function Keyboard({ onKey, children }: { onKey: (input: string, key: Key, view: KeyHandler | undefined) => void; children: ReactNode }) {
  const view = useRef<KeyHandler | undefined>(undefined);
  const app = useRef(onKey);
  useLayoutEffect(() => {
    app.current = onKey;
  });
  // A stable listener: Ink resubscribes only when it changes, and between the two a key could be lost.
  const listener = useRef<KeyHandler>((input, key) => app.current(input, key, view.current)).current;
  useInput(listener);
  return <ViewHandler.Provider value={view}>{children}</ViewHandler.Provider>;
}

/** Makes `handler` the one that gets the keys, for as long as `active` holds. */
export function useViewKeys(handler: KeyHandler, active: boolean): void {
  const slot = useContext(ViewHandler);
  useLayoutEffect(() => {
    if (active) slot.current = handler;
  });
}
