// The process side of a built-in task: `sluice exec-task <type> <params>`,
// which the executor starts like any other task process (so timeouts,
// retries, logs and cancel work the same). It runs the type's module and
// hands its values back through $SLUICE_OUTPUT.
import { readFileSync, writeFileSync } from 'node:fs';
import type { BuiltinTaskType } from '../index.js';
import { contextFromEnvironment, TaskInputError } from './task-context.js';
import { removeTempFiles } from './temp-files.js';

export async function execTask(types: readonly BuiltinTaskType[], type: string, paramsFile: string): Promise<number> {
  const definition = types.find((candidate) => candidate.name === type);
  if (!definition) {
    process.stderr.write(`error: there is no built-in task type '${type}' (known: ${types.map((t) => t.name).join(', ')})\n`);
    return 2;
  }
  // A timeout or cancel sends SIGTERM (Ctrl-C in a terminal, SIGINT) while
  // the task awaits DuckDB or onnxruntime; files it was writing under a
  // temporary name go before the process does, as the signal would end it.
  const stop = (signal: NodeJS.Signals) => {
    removeTempFiles();
    process.removeListener('SIGTERM', stop);
    process.removeListener('SIGINT', stop);
    process.kill(process.pid, signal);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  try {
    const params = JSON.parse(readFileSync(paramsFile, 'utf8')) as unknown;
    const context = contextFromEnvironment();
    const module = await definition.load();
    const values = await module.run(params, context);
    const output = process.env.SLUICE_OUTPUT;
    if (output) writeFileSync(output, JSON.stringify(values));
    return 0;
  } catch (error) {
    if (error instanceof TaskInputError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`internal error in the ${type} task (a bug in Sluice; please report it with this trace):\n${(error as Error).stack ?? String(error)}\n`);
    return 70;
  }
}
