// Names a place in a pipeline the way a user thinks of it: "'op' in 'condition'
// of task 'gate'" rather than "/tasks/3/condition/op".
import type { PathSegment } from './finding.js';

export function describeOwner(path: readonly PathSegment[], root: unknown): string {
  if (path.length === 0) return 'the pipeline';
  const [head, index, ...rest] = path;
  if (head === 'tasks' && typeof index === 'number') {
    const task = named(valueAt(root, ['tasks', index]), 'task_key', `task ${index + 1}`, 'task');
    if (rest.length === 0) return task;
    if (rest.length === 2 && rest[0] === 'for_each' && rest[1] === 'task') return `the for_each task of ${task}`;
  }
  if (head === 'parameters' && typeof index === 'number' && rest.length === 0) {
    return named(valueAt(root, path), 'name', `parameter ${index + 1}`, 'parameter');
  }
  return describeSubject(path, root);
}

export function describeSubject(path: readonly PathSegment[], root: unknown): string {
  if (path.length === 0) return 'the pipeline';
  const last = path[path.length - 1]!;
  const parent = path.slice(0, -1);
  if (typeof last === 'number') return `item ${last + 1} of ${describeSubject(parent, root)}`;
  return parent.length === 0 ? `'${last}'` : `'${last}' in ${describeOwner(parent, root)}`;
}

function named(value: unknown, field: string, fallback: string, kind: string): string {
  const name = isRecord(value) ? value[field] : undefined;
  return typeof name === 'string' ? `${kind} '${name}'` : fallback;
}

export function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let current = root;
  for (const segment of path) {
    if (Array.isArray(current) && typeof segment === 'number') current = current[segment];
    else if (isRecord(current)) current = current[String(segment)];
    else return undefined;
  }
  return current;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The YAML word for a value's type, as users see it in their file. */
export function yamlTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return `the string '${truncate(value)}'`;
  if (typeof value === 'number') return Number.isInteger(value) ? `the number ${value}` : `the number ${value}`;
  return `${typeof value} ${String(value)}`;
}

export function truncate(text: string, max = 40): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}
