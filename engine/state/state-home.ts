// Where state lives: `--state <file>` names the database; otherwise
// SLUICE_HOME names the folder; otherwise `.sluice/` in the nearest folder
// upwards that has one, else in the current folder. Run folders (logs,
// artifacts, values files), the dataset store and the model store sit
// beside the database.
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface StateLocation {
  databaseFile: string;
  runsDir: string;
}

export function locateState(options: { state?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): StateLocation {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  if (options.state) {
    const databaseFile = resolve(cwd, options.state);
    return { databaseFile, runsDir: join(dirname(databaseFile), 'runs') };
  }
  const home = env.SLUICE_HOME ? resolve(cwd, env.SLUICE_HOME) : findHome(cwd);
  return { databaseFile: join(home, 'state.db'), runsDir: join(home, 'runs') };
}

function findHome(cwd: string): string {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, '.sluice');
    if (existsSync(candidate) && statSync(candidate).isDirectory()) return candidate;
    if (dirname(dir) === dir) return join(resolve(cwd), '.sluice');
  }
}

/** Where content-addressed dataset files live for a state database. */
export function datasetsDirFor(databaseFile: string): string {
  return join(dirname(databaseFile), 'datasets');
}

/** Where content-addressed model files (the registry's ONNX artifacts) live for a state database. */
export function modelsDirFor(databaseFile: string): string {
  return join(dirname(databaseFile), 'models');
}
