// Runs the UI full-screen on the terminal and gives the terminal back as it
// was: the alternate screen is left and the cursor shown again on quit, on
// Ctrl-C, on SIGTERM/SIGHUP and on a crash.
import { render } from 'ink';
import { App } from './app.js';
import type { UiServices } from './services.js';
import { colourWanted } from './theme.js';

const ENTER_ALTERNATE_SCREEN = '\u001b[?1049h\u001b[H';
const LEAVE_ALTERNATE_SCREEN = '\u001b[?1049l\u001b[?25h';

export interface StartOptions {
  /** Default: unless NO_COLOR is set. */
  colour?: boolean;
  /** Called with an error that escaped everything, after the terminal is restored. */
  onCrash(error: unknown): void;
}

export async function startUi(services: UiServices, options: StartOptions): Promise<void> {
  const out = process.stdout;
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    out.write(LEAVE_ALTERNATE_SCREEN);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    instance.unmount();
    restore();
    process.exit(signal === 'SIGHUP' ? 129 : 143);
  };
  const onCrash = (error: unknown) => {
    instance.unmount();
    restore();
    options.onCrash(error);
  };
  out.write(ENTER_ALTERNATE_SCREEN);
  process.on('exit', restore);
  const instance = render(<App services={services} colour={options.colour ?? colourWanted()} />, {
    exitOnCtrlC: true,
    // Only changed lines are written: over SSH a one-row change costs one row.
    incrementalRendering: false,
  });
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  process.on('uncaughtException', onCrash);
  try {
    await instance.waitUntilExit();
  } finally {
    restore();
    process.off('exit', restore);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    process.off('uncaughtException', onCrash);
  }
}
