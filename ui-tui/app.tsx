// The whole screen: breadcrumb, the current view, a message line and the
// keys. Global keys live here (tab, ?, esc, q, and the confirmation's y/n);
// each view handles its own.
import { Box, type Key, useApp } from 'ink';
import { useCallback, useMemo, useState } from 'react';
import { actionName, confirmQuestion, type UiAction } from './actions.js';
import { Breadcrumb, HelpPanel, KeyFooter, type KeyHelp, MessageLine, type Tone } from './components/chrome.js';
import { LiveData, useLive } from './data/live.js';
import { Keyboard, type KeyHandler } from './keyboard.js';
import { type Size, useTerminalSize } from './data/terminal-size.js';
import { type Navigator, type Screen, TOP_VIEWS, type TopView } from './navigation.js';
import type { UiServices } from './services.js';
import { ColourScope } from './theme.js';
import { LOG_KEYS, LogView } from './views/log-view.js';
import { MODEL_KEYS, ModelsView } from './views/models-view.js';
import { RUN_KEYS, RunView } from './views/run-view.js';
import { RUNS_KEYS, RunsView } from './views/runs-view.js';
import { SCHEDULE_KEYS, SchedulesView } from './views/schedules-view.js';

const TAB_KEY: KeyHelp = { keys: 'tab', does: 'next view' };
/** Shown in the footer whatever its width: the way to every other key, and out. */
const PINNED_KEYS: readonly KeyHelp[] = [
  { keys: '?', does: 'help' },
  { keys: 'q', does: 'quit' },
];
const GLOBAL_KEYS: readonly KeyHelp[] = [TAB_KEY, ...PINNED_KEYS];

const VIEW_KEYS: Record<Screen['view'], readonly KeyHelp[]> = {
  runs: RUNS_KEYS, schedules: SCHEDULE_KEYS, models: MODEL_KEYS, run: RUN_KEYS, log: LOG_KEYS,
};

export interface AppProps {
  services: UiServices;
  colour: boolean;
  /** A fixed size instead of the terminal's (tests, the benchmark). */
  size?: Size;
}

export function App({ services, colour, size }: AppProps) {
  return (
    <ColourScope enabled={colour}>
      <LiveData services={services}>
        <Shell services={services} size={size} />
      </LiveData>
    </ColourScope>
  );
}

function Shell({ services, size: fixedSize }: { services: UiServices; size?: Size }) {
  const { exit } = useApp();
  const size = useTerminalSize(fixedSize);
  const { problem } = useLive();
  const [stack, setStack] = useState<Screen[]>([{ view: 'runs' }]);
  const [help, setHelp] = useState(false);
  const [typing, setTyping] = useState(false);
  const [pending, setPending] = useState<UiAction | undefined>();
  const [message, setMessage] = useState<{ text: string; tone: Tone }>({ text: '', tone: 'info' });
  const screen = stack[stack.length - 1]!;
  const top = stack[0]!.view as TopView;

  const nav: Navigator = useMemo(() => ({
    open: (next) => setStack((s) => [...s, next]),
    ask: (action) => setPending(action),
    tell: (text, tone) => setMessage({ text, tone }),
    setTyping,
  }), []);

  const confirm = useCallback((action: UiAction) => {
    setPending(undefined);
    setMessage({ text: `starting ${actionName(action)}…`, tone: 'info' });
    services.actions.start(action, (outcome) => setMessage({ text: outcome.message, tone: outcome.ok ? 'good' : 'bad' }));
  }, [services]);

  const onKey = (input: string, key: Key, view: KeyHandler | undefined) => {
    if (pending) {
      if (input === 'y' || input === 'Y') confirm(pending);
      else if (input === 'n' || input === 'N' || key.escape) {
        setPending(undefined);
        setMessage({ text: 'nothing done', tone: 'info' });
      }
      return;
    }
    if (typing) {
      view?.(input, key);
      return;
    }
    if (help) {
      if (key.escape || input === '?' || input === 'q') setHelp(false);
      return;
    }
    if (input === 'q') exit();
    else if (input === '?') setHelp(true);
    else if (key.tab) {
      const next = TOP_VIEWS[(TOP_VIEWS.indexOf(top) + (key.shift ? TOP_VIEWS.length - 1 : 1)) % TOP_VIEWS.length]!;
      setStack([{ view: next }]);
    } else if ((key.escape || key.leftArrow || input === 'h') && stack.length > 1) setStack((s) => s.slice(0, -1));
    else view?.(input, key);
  };

  // One line less than the terminal: a frame that fills every row makes Ink redraw the whole screen each time.
  const height = Math.max(8, size.rows - 1);
  const width = Math.max(40, size.columns);
  const bodyHeight = height - 3;
  const active = !pending && !help;
  const line = pending ? { text: `${confirmQuestion(pending)}  [y/N]`, tone: 'ask' as Tone }
    : problem ? { text: problem, tone: 'bad' as Tone } : message;
  const keys = pending ? [{ keys: 'y', does: 'yes' }, { keys: 'n/esc', does: 'no' }]
    : [...VIEW_KEYS[screen.view], TAB_KEY];

  return (
    <Keyboard onKey={onKey}>
      <Box flexDirection="column" width={width} height={height}>
        <Breadcrumb crumbs={stack.map(crumb)} tabs={TOP_VIEWS} current={top} width={width} />
        <Box height={bodyHeight} flexDirection="column">
          {help ? <HelpPanel width={width} sections={[
            { title: `keys here (${crumb(screen)})`, keys: VIEW_KEYS[screen.view] },
            { title: 'everywhere', keys: [...GLOBAL_KEYS, { keys: 'esc', does: 'back' }, { keys: 'shift-tab', does: 'previous view' }] },
          ]} /> : null}
          {stack.map((s, i) => (
            // Screens under the top one stay mounted (hidden) so that going back finds the selection and filter as they were.
            <Box key={i} display={!help && i === stack.length - 1 ? 'flex' : 'none'} flexDirection="column">
              {renderScreen(s, { width, height: bodyHeight, active: active && i === stack.length - 1, nav })}
            </Box>
          ))}
        </Box>
        <MessageLine text={line.text} tone={line.tone} width={width} />
        <KeyFooter keys={keys} pinned={pending ? [] : PINNED_KEYS} width={width} />
      </Box>
    </Keyboard>
  );
}

function renderScreen(screen: Screen, props: { width: number; height: number; active: boolean; nav: Navigator }) {
  switch (screen.view) {
    case 'runs': return <RunsView {...props} />;
    case 'schedules': return <SchedulesView {...props} />;
    case 'models': return <ModelsView {...props} />;
    case 'run': return <RunView {...props} runId={screen.runId} />;
    case 'log': return <LogView {...props} runId={screen.runId} taskKey={screen.taskKey} />;
  }
}

function crumb(screen: Screen): string {
  switch (screen.view) {
    case 'run': return `run ${screen.runId}`;
    case 'log': return `${screen.taskKey} logs`;
    default: return screen.view;
  }
}
