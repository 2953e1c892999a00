// What a reference may name. Validation uses it to reject unknown references
// before a run; the executor uses the same classification to resolve them.
import { hint, listChoices } from '../suggest.js';

export const TIME_ARGUMENTS = [
  'iso_date', 'iso_datetime', 'year', 'month', 'day', 'hour', 'minute', 'second',
  'timestamp_ms', 'iso_weekday', 'is_weekday',
] as const;
export type TimeArgument = (typeof TIME_ARGUMENTS)[number];

export const NAMESPACES = ['job', 'tasks', 'input', 'env'] as const;
const JOB_FIELDS = ['parameters', 'run_id', 'name', 'repair_count', 'start_time', 'trigger'] as const;
const TASK_FIELDS = ['values', 'result_state'] as const;

export type ClassifiedReference =
  | { kind: 'parameter'; name: string }
  | { kind: 'job'; field: 'run_id' | 'name' | 'repair_count' | 'trigger_type' }
  | { kind: 'time'; which: 'start_time' | 'trigger_time'; argument: TimeArgument }
  | { kind: 'task-value'; task: string; name: string }
  | { kind: 'task-state'; task: string }
  | { kind: 'input'; field: string[] }
  | { kind: 'env'; name: string }
  | { kind: 'invalid'; message: string };

export function classifyReference(path: readonly string[]): ClassifiedReference {
  const [namespace, ...rest] = path;
  const shown = `{{${path.join('.')}}}`;
  const invalid = (message: string): ClassifiedReference => ({ kind: 'invalid', message });
  switch (namespace) {
    case 'job':
      return classifyJob(rest, shown);
    case 'tasks': {
      const [task, field, name, ...extra] = rest;
      if (task === undefined || field === undefined) {
        return invalid(`incomplete reference ${shown}; use {{tasks.<task_key>.values.<name>}} or {{tasks.<task_key>.result_state}}`);
      }
      if (field === 'result_state' && name === undefined) return { kind: 'task-state', task };
      if (field === 'values' && name !== undefined && extra.length === 0) return { kind: 'task-value', task, name };
      if (field === 'values') return invalid(`${shown} must name one value: {{tasks.${task}.values.<name>}}`);
      if (field === 'result_state') return invalid(`${shown} has extra parts; use {{tasks.${task}.result_state}}`);
      return invalid(`unknown task field '${field}' in ${shown}${hint(field, TASK_FIELDS, `a task offers ${listChoices([...TASK_FIELDS])}`)}`);
    }
    case 'input':
      return { kind: 'input', field: rest };
    case 'env': {
      const [name, ...extra] = rest;
      if (name === undefined || extra.length > 0) return invalid(`${shown} must name one variable: {{env.<NAME>}}`);
      return { kind: 'env', name };
    }
    default:
      return invalid(`unknown reference ${shown}${hint(namespace ?? '', NAMESPACES, `references start with ${listChoices([...NAMESPACES])}`)}`);
  }
}

function classifyJob(rest: string[], shown: string): ClassifiedReference {
  const invalid = (message: string): ClassifiedReference => ({ kind: 'invalid', message });
  const [field, ...tail] = rest;
  switch (field) {
    case 'parameters': {
      const [name, ...extra] = tail;
      if (name === undefined || extra.length > 0) return invalid(`${shown} must name one parameter: {{job.parameters.<name>}}`);
      return { kind: 'parameter', name };
    }
    case 'run_id':
    case 'name':
    case 'repair_count':
      if (tail.length > 0) return invalid(`${shown} has extra parts; use {{job.${field}}}`);
      return { kind: 'job', field };
    case 'start_time':
      return classifyTime('start_time', tail, shown);
    case 'trigger': {
      const [sub, ...timeTail] = tail;
      if (sub === 'type' && timeTail.length === 0) return { kind: 'job', field: 'trigger_type' };
      if (sub === 'time') return classifyTime('trigger_time', timeTail, shown);
      return invalid(`unknown reference ${shown}${hint(sub ?? '', ['time', 'type'], 'use {{job.trigger.time.<argument>}} or {{job.trigger.type}}')}`);
    }
    default:
      return invalid(`unknown reference ${shown}${hint(field ?? '', JOB_FIELDS, `job offers ${listChoices([...JOB_FIELDS])}`)}`);
  }
}

function classifyTime(which: 'start_time' | 'trigger_time', tail: string[], shown: string): ClassifiedReference {
  const [argument, ...extra] = tail;
  const isArgument = argument !== undefined && (TIME_ARGUMENTS as readonly string[]).includes(argument);
  if (isArgument && extra.length === 0) return { kind: 'time', which, argument: argument as TimeArgument };
  const choices = `use one of ${listChoices([...TIME_ARGUMENTS])}`;
  if (argument === undefined) return { kind: 'invalid', message: `${shown} needs a time argument; ${choices}` };
  if (isArgument) return { kind: 'invalid', message: `${shown} has extra parts after '${argument}'` };
  return { kind: 'invalid', message: `unknown time argument '${argument}' in ${shown}${hint(argument, TIME_ARGUMENTS, choices)}` };
}
