// Parameters arrive rendered: a number written as a reference is a string by
// then. These read them back with an error that names the parameter.
import { TaskInputError } from './task-context.js';

export function numberParameter(value: unknown, name: string): number {
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (!Number.isFinite(number)) throw new TaskInputError(`parameter ${name} must be a number, not '${String(value)}'`);
  return number;
}

export function optionalNumber(value: unknown, name: string): number | undefined {
  return value === undefined ? undefined : numberParameter(value, name);
}
