// Checks every `{{reference}}` in the pipeline before it runs: the syntax, the
// namespace, declared parameters, and that a task reads only upstream tasks.
import { classifyReference } from '../template/reference-grammar.js';
import { parseTemplate } from '../template/parse.js';
import { closest, didYouMean, hint } from '../suggest.js';
import type { CheckContext, RawTask } from './check-context.js';
import { isRecord, yamlTypeName } from './path-names.js';
import type { TaskGraph } from './task-graph.js';
import type { PathSegment } from './finding.js';

/** Keys of a task (or a for_each's task) whose strings are names or prose, not templates. */
const NOT_TEMPLATED = new Set(['task_key', 'description', 'depends_on', 'run_if', 'disabled']);

interface Scope {
  /** The task whose strings are checked; absent in task_defaults. */
  task?: RawTask;
  insideForEach: boolean;
}

export interface ReferenceUse {
  /** Parameters that some reference reads. */
  usedParameters: Set<string>;
  /** Whether any reference was wrong: then "unused parameter" would mostly echo it. */
  hadErrors: boolean;
}

export function checkReferences(ctx: CheckContext, graph: TaskGraph | undefined): ReferenceUse {
  const declared = declaredParameters(ctx);
  const used = new Set<string>();
  let hadErrors = false;
  const visitString = (text: string, path: PathSegment[], scope: Scope) => {
    if (!text.includes('{{')) return;
    const parsed = parseTemplate(text);
    for (const error of parsed.errors) {
      hadErrors = true;
      ctx.errorInString(path, text.slice(error.offset, error.offset + error.length), 'bad-reference', error.message);
    }
    for (const reference of parsed.references) {
      const problem = referenceProblem(reference.path, scope, declared, ctx, graph, used);
      if (!problem) continue;
      hadErrors = true;
      ctx.errorInString(path, reference.raw, 'bad-reference', problem);
    }
  };
  const walk = (value: unknown, path: PathSegment[], scope: Scope): void => {
    if (typeof value === 'string') visitString(value, path, scope);
    else if (Array.isArray(value)) value.forEach((item, i) => walk(item, [...path, i], scope));
    else if (isRecord(value)) {
      const taskLevel = isTaskLevel(path);
      for (const [key, child] of Object.entries(value)) {
        if (taskLevel && NOT_TEMPLATED.has(key)) continue;
        if (key === 'pipeline' && path[path.length - 1] === 'run_pipeline') continue;
        const insideForEach = scope.insideForEach || (key === 'task' && path[path.length - 1] === 'for_each');
        walk(child, [...path, key], { ...scope, insideForEach });
      }
    }
  };

  if (isRecord(ctx.root.task_defaults)) walk(ctx.root.task_defaults, ['task_defaults'], { insideForEach: false });
  for (const task of ctx.tasks) {
    walk(task.value, task.path, { task, insideForEach: false });
    checkForEach(ctx, task);
  }
  return { usedParameters: used, hadErrors };
}

/** A task itself (['tasks', i]) or the task of a for_each; deeper maps (env, parameters) hold user names. */
function isTaskLevel(path: readonly PathSegment[]): boolean {
  const last = path.length - 1;
  return (path.length === 2 && path[0] === 'tasks') || (path[last] === 'task' && path[last - 1] === 'for_each');
}

function referenceProblem(
  path: string[], scope: Scope, declared: Set<string>, ctx: CheckContext, graph: TaskGraph | undefined, used: Set<string>,
): string | undefined {
  const ref = classifyReference(path);
  const shown = `{{${path.join('.')}}}`;
  switch (ref.kind) {
    case 'invalid':
      return ref.message;
    case 'parameter':
      used.add(ref.name);
      if (declared.has(ref.name)) return undefined;
      return `unknown parameter '${ref.name}' in ${shown}${hint(ref.name, declared, "declare it under 'parameters'")}`;
    case 'input':
      return scope.insideForEach ? undefined : `${shown} is only defined inside the task of a for_each`;
    case 'task-value':
    case 'task-state': {
      if (!scope.task) return `${shown} cannot be used in task_defaults, which no single task owns`;
      const owner = scope.task.key;
      if (!ctx.taskByKey.has(ref.task)) return `${shown} names unknown task '${ref.task}'${didYouMean(ref.task, ctx.taskByKey.keys())}`;
      if (ref.task === owner) return `task '${owner}' cannot read its own ${ref.kind === 'task-value' ? 'values' : 'result_state'} in ${shown}`;
      if (ref.kind === 'task-value' && 'condition' in ctx.taskByKey.get(ref.task)!.value) {
        return `${shown} reads values of condition task '${ref.task}', which sets none; ` +
          `follow its outcome with depends_on: [{ task_key: ${ref.task}, outcome: "true" }]`;
      }
      if (graph && !graph.isUpstream(ref.task, owner)) {
        return `task '${owner}' reads ${shown} but does not run after '${ref.task}'; add '${ref.task}' to its depends_on`;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

function checkForEach(ctx: CheckContext, task: RawTask): void {
  const loop = task.value.for_each;
  if (!isRecord(loop)) return;
  const base = [...task.path, 'for_each'];
  if (isRecord(loop.task) && 'for_each' in loop.task) {
    ctx.error([...base, 'task', 'for_each'], 'nested-for-each',
      `for_each cannot be nested (task '${task.key}'); move the inner loop into a task of its own that depends on this one`, 'key');
  }
  let inputs = loop.inputs;
  if (typeof inputs === 'string' && !inputs.includes('{{')) {
    try {
      inputs = JSON.parse(inputs);
    } catch {
      ctx.error([...base, 'inputs'], 'bad-for-each-inputs',
        `for_each inputs of task '${task.key}' is not a JSON array; quote strings and separate items with commas, ` +
        `e.g. '["us", "eu"]', or write a YAML list`);
      return;
    }
    if (!Array.isArray(inputs)) {
      ctx.error([...base, 'inputs'], 'bad-for-each-inputs', `for_each inputs of task '${task.key}' must be a JSON array; found ${yamlTypeName(inputs)}`);
      return;
    }
  }
  if (Array.isArray(inputs) && inputs.length === 0) {
    ctx.warning([...base, 'inputs'], 'empty-for-each', `for_each inputs of task '${task.key}' is empty, so the task never runs an iteration`);
  }
}

/** Declared parameter names, also under a misspelled `parameters` key, which is reported on its own. */
function declaredParameters(ctx: CheckContext): Set<string> {
  const names = new Set<string>();
  const key = 'parameters' in ctx.root ? 'parameters' : Object.keys(ctx.root).find((k) => closest(k, ['parameters']) === 'parameters');
  const list = key === undefined ? undefined : ctx.root[key];
  if (!Array.isArray(list)) return names;
  for (const p of list) if (isRecord(p) && typeof p.name === 'string') names.add(p.name);
  return names;
}
