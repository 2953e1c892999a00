// Resolves `{{…}}` references while a run executes: job facts, parameters,
// upstream values and states, the for_each input, the environment.
import type { TemplateReference } from '../template/parse.js';
import { classifyReference } from '../template/reference-grammar.js';
import { formatTimeArgument, renderTemplate } from '../template/render.js';

export interface RunFacts {
  runId: number;
  pipelineName: string;
  parameters: Readonly<Record<string, string>>;
  repairCount: number;
  triggerType: string;
  startTime: Date;
  triggerTime: Date;
  timeZone: string;
}

export interface ReferenceScope {
  run: RunFacts;
  values: (taskKey: string) => Readonly<Record<string, string>> | undefined;
  resultState: (taskKey: string) => string | undefined;
  /** The current for_each input, inside a loop's nested task. */
  input?: unknown;
  env: NodeJS.ProcessEnv;
}

/** A reference that cannot be resolved now: the task fails with this message, before any process starts. */
export class UnresolvedReference extends Error {}

export function renderWithScope(text: string, scope: ReferenceScope): string {
  return renderTemplate(text, resolverFor(scope));
}

export function resolverFor(scope: ReferenceScope): (reference: TemplateReference) => string {
  return (reference) => resolveReference(reference, scope);
}

function resolveReference(reference: TemplateReference, scope: ReferenceScope): string {
  const ref = classifyReference(reference.path);
  const { run } = scope;
  switch (ref.kind) {
    case 'parameter': {
      const value = run.parameters[ref.name];
      if (value === undefined) throw new UnresolvedReference(`${reference.raw}: the run has no parameter '${ref.name}'`);
      return value;
    }
    case 'job':
      switch (ref.field) {
        case 'run_id': return String(run.runId);
        case 'name': return run.pipelineName;
        case 'repair_count': return String(run.repairCount);
        case 'trigger_type': return run.triggerType;
      }
      break;
    case 'time':
      return formatTimeArgument(ref.which === 'start_time' ? run.startTime : run.triggerTime, ref.argument, run.timeZone);
    case 'task-value': {
      const values = scope.values(ref.task);
      const value = values?.[ref.name];
      if (value !== undefined) return value;
      const written = Object.keys(values ?? {});
      const state = scope.resultState(ref.task);
      throw new UnresolvedReference(`${reference.raw}: task '${ref.task}' ${state && state !== 'SUCCESS' ? `ended ${state} and ` : ''}` +
        `wrote no value '${ref.name}'${written.length > 0 ? ` (it wrote ${written.sort().join(', ')})` : ''}`);
    }
    case 'task-state': {
      const state = scope.resultState(ref.task);
      if (state === undefined) throw new UnresolvedReference(`${reference.raw}: task '${ref.task}' has not finished`);
      return state;
    }
    case 'input': {
      if (!('input' in scope)) throw new UnresolvedReference(`${reference.raw} is only defined inside a for_each task`);
      let value: unknown = scope.input;
      for (const field of ref.field) {
        if (value === null || typeof value !== 'object' || !(field in value)) {
          throw new UnresolvedReference(`${reference.raw}: the input ${JSON.stringify(scope.input)} has no field '${ref.field.join('.')}'`);
        }
        value = (value as Record<string, unknown>)[field];
      }
      return typeof value === 'string' ? value : JSON.stringify(value);
    }
    case 'env': {
      const value = scope.env[ref.name];
      if (value === undefined) throw new UnresolvedReference(`${reference.raw}: the environment variable ${ref.name} is not set`);
      return value;
    }
    case 'invalid':
      throw new UnresolvedReference(ref.message);
  }
  throw new UnresolvedReference(`cannot resolve ${reference.raw}`);
}
