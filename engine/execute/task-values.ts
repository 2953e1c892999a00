// Reads the values a task wrote to $SLUICE_OUTPUT: `name=value` lines, or
// one JSON object. Values are text; JSON numbers, booleans, arrays and
// objects keep their JSON spelling.
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';

export const MAX_VALUES_BYTES = 1024 * 1024;
const VALUE_NAME = /^[A-Za-z0-9_-]+$/;

export class ValuesError extends Error {}

export function readTaskValues(file: string): Record<string, string> {
  // Most tasks write no values: ask without throwing (an exception per task costs more than the stat).
  if (!statSync(file, { throwIfNoEntry: false })) return {};
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > MAX_VALUES_BYTES) {
      throw new ValuesError(`the task wrote ${formatBytes(size)} of values to $SLUICE_OUTPUT; the limit is 1 MiB: ` +
        'write large data to a file in $SLUICE_ARTIFACTS and pass its path as the value');
    }
    const buffer = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, buffer, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    return parseTaskValues(buffer.toString('utf8', 0, read));
  } finally {
    closeSync(fd);
  }
}

export function parseTaskValues(text: string): Record<string, string> {
  const trimmed = text.trim();
  if (trimmed === '') return {};
  return trimmed.startsWith('{') ? parseJsonValues(trimmed) : parseLines(text);
}

function parseJsonValues(text: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ValuesError(`$SLUICE_OUTPUT starts with '{' but is not one JSON object: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ValuesError('$SLUICE_OUTPUT must hold one JSON object');
  }
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    checkName(name, 'a key of the JSON object');
    values[name] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return values;
}

function parseLines(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const equals = line.indexOf('=');
    if (equals < 0) {
      throw new ValuesError(`$SLUICE_OUTPUT line ${index + 1} is not name=value: ${JSON.stringify(line.slice(0, 80))}`);
    }
    const name = line.slice(0, equals).trim();
    checkName(name, `the name on line ${index + 1}`);
    // A later line wins, so a task can update a value as it goes.
    values[name] = line.slice(equals + 1);
  });
  return values;
}

function checkName(name: string, what: string): void {
  if (!VALUE_NAME.test(name)) {
    throw new ValuesError(`${what} of $SLUICE_OUTPUT, ${JSON.stringify(name)}, is not a value name: use letters, digits, '_' and '-'`);
  }
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}
