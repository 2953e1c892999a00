// Checks the task graph: task keys, depends_on entries, cycles, and tasks that
// can never run because of disabled dependencies or contradictory outcomes.
import { didYouMean } from '../suggest.js';
import { CheckContext, type RawTask } from './check-context.js';
import { TaskGraph } from './task-graph.js';

/** Returns the graph when it is acyclic, for the checks that need upstream relations. */
export function checkDependencies(ctx: CheckContext): TaskGraph | undefined {
  for (const duplicate of ctx.duplicateTasks) {
    const first = ctx.taskByKey.get(duplicate.key)!;
    ctx.error([...duplicate.path, 'task_key'], 'duplicate-task-key', ({ lineOf }) => {
      const line = lineOf([...first.path, 'task_key']);
      return `duplicate task_key '${duplicate.key}'${line ? ` (first defined on line ${line})` : ''}; task keys must be unique`;
    });
  }

  const edges = [];
  for (const task of ctx.tasks) {
    const seen = new Set<string>();
    for (const dependency of task.dependencies) {
      const target = ctx.taskByKey.get(dependency.taskKey);
      if (dependency.taskKey === task.key) {
        ctx.error(dependency.path, 'self-dependency', `task '${task.key}' depends on itself`);
      } else if (!target) {
        ctx.error(dependency.path, 'unknown-task',
          `task '${task.key}' depends on unknown task '${dependency.taskKey}'${didYouMean(dependency.taskKey, ctx.taskByKey.keys())}`);
      } else if (seen.has(`${dependency.taskKey}/${dependency.outcome}`)) {
        ctx.error(dependency.path, 'duplicate-dependency', `task '${task.key}' lists '${dependency.taskKey}' in depends_on twice`);
      } else {
        if (dependency.outcome !== undefined && !('condition' in target.value)) {
          ctx.error(dependency.path.slice(0, -1).concat('outcome'), 'outcome-not-condition',
            `'outcome' applies only to a condition task, and '${target.key}' is not one; remove 'outcome' or make '${target.key}' a condition`);
        }
        edges.push({ from: dependency.taskKey, to: task.key, outcome: dependency.outcome });
      }
      seen.add(`${dependency.taskKey}/${dependency.outcome}`);
    }
    if (task.dependencies.length === 0 && typeof task.value.run_if === 'string' && task.value.run_if !== 'all_success') {
      ctx.warning([...task.path, 'run_if'], 'run-if-without-dependencies',
        `run_if has no effect on task '${task.key}', which has no depends_on`);
    }
  }

  const graph = new TaskGraph(ctx.tasks.map((t) => t.key), edges);
  const cycles = graph.cycles();
  for (const cycle of cycles) {
    const [first, second] = cycle;
    const task = ctx.taskByKey.get(first!)!;
    const entry = task.dependencies.find((d) => d.taskKey === second);
    ctx.error(entry?.path ?? [...task.path, 'task_key'], 'cycle',
      `dependency cycle: ${cycle.join(' → ')} (each depends on the next); remove one of these depends_on entries`);
  }
  if (cycles.length > 0) return undefined;
  warnNeverRunningTasks(ctx, graph);
  return graph;
}

/**
 * Databricks' rules for disabled tasks: a dependent whose run_if cannot be met
 * because dependencies are disabled is disabled too. Such a task never runs,
 * and so does one that waits for both outcomes of the same condition.
 */
function warnNeverRunningTasks(ctx: CheckContext, graph: TaskGraph): void {
  const neverRuns = new Map<string, string>();
  for (const key of graph.topologicalOrder()) {
    const task = ctx.taskByKey.get(key)!;
    if (task.value.disabled === true) {
      neverRuns.set(key, 'disabled');
      continue;
    }
    const reason = whyNeverRuns(task, neverRuns);
    if (!reason) continue;
    neverRuns.set(key, reason);
    ctx.warning([...task.path, 'task_key'], 'unreachable-task', `task '${key}' can never run: ${reason}`);
  }
}

function whyNeverRuns(task: RawTask, neverRuns: Map<string, string>): string | undefined {
  if (task.dependencies.length === 0) return undefined;
  const runIf = typeof task.value.run_if === 'string' ? task.value.run_if : 'all_success';
  const blocked = task.dependencies.filter((d) => neverRuns.has(d.taskKey)).map((d) => d.taskKey);
  const describeBlocked = (key: string) => (neverRuns.get(key) === 'disabled' ? `'${key}' is disabled` : `'${key}' never runs`);
  if (runIf === 'all_success' || runIf === 'all_failed') {
    if (blocked.length > 0) return `its run_if is ${runIf} and ${describeBlocked(blocked[0]!)}`;
  } else if (runIf !== 'all_done' && blocked.length === task.dependencies.length) {
    return `its run_if is ${runIf} and none of its dependencies runs (${describeBlocked(blocked[0]!)})`;
  }
  if (runIf === 'all_success') {
    const outcomes = new Map<string, Set<string>>();
    for (const d of task.dependencies) {
      if (d.outcome) outcomes.set(d.taskKey, (outcomes.get(d.taskKey) ?? new Set()).add(d.outcome));
    }
    for (const [condition, seen] of outcomes) {
      if (seen.size === 2) return `it needs both outcomes of condition '${condition}'`;
    }
  }
  return undefined;
}
