// Which tasks `sluice repair` reruns: by default every task that failed, was
// canceled or skipped, with everything downstream of it; or a selection
// `a,+b,c+` (a alone, b with its upstream, c with its downstream).
import { UsageError } from '../diagnostics.js';
import type { Pipeline } from '../spec/model.js';
import { hint } from '../suggest.js';
import type { TaskRunRow } from '../state/run-store.js';
import { REPAIRABLE_TASK_STATES } from '../state/states.js';

export function selectRepairTasks(pipeline: Pipeline, taskRuns: readonly TaskRunRow[], only?: string): string[] {
  const downstream = new Map<string, string[]>(pipeline.tasks.map((task) => [task.key, []]));
  const upstream = new Map<string, string[]>();
  for (const task of pipeline.tasks) {
    upstream.set(task.key, task.dependsOn.map((d) => d.taskKey));
    for (const dependency of task.dependsOn) downstream.get(dependency.taskKey)!.push(task.key);
  }
  const selected = new Set<string>();
  const addWith = (start: string, edges: Map<string, string[]>) => {
    const seen = new Set([start]);
    const stack = [start];
    while (stack.length > 0) {
      const key = stack.pop()!;
      selected.add(key);
      for (const next of edges.get(key)!) {
        if (!seen.has(next)) {
          seen.add(next);
          stack.push(next);
        }
      }
    }
  };
  if (only === undefined) {
    const states = new Map(taskRuns.filter((row) => row.parent_task_key === null).map((row) => [row.task_key, row.state]));
    for (const task of pipeline.tasks) {
      if (REPAIRABLE_TASK_STATES.has(states.get(task.key) ?? '')) addWith(task.key, downstream);
    }
  } else {
    for (const item of only.split(',').map((part) => part.trim()).filter((part) => part !== '')) {
      const withUpstream = item.startsWith('+');
      const withDownstream = item.endsWith('+');
      const key = item.slice(withUpstream ? 1 : 0, withDownstream ? -1 : undefined);
      if (!downstream.has(key)) {
        const keys = [...downstream.keys()];
        throw new UsageError(`--only names unknown task '${key}'${hint(key, keys, `the pipeline has ${keys.length} tasks; sluice show lists them`)}`);
      }
      if (withUpstream) addWith(key, upstream);
      if (withDownstream) addWith(key, downstream);
      selected.add(key);
    }
    if (selected.size === 0) throw new UsageError('--only needs task keys: a,+b,c+ (b with its upstream, c with its downstream)');
  }
  // In file order, which is how the run lists them.
  return pipeline.tasks.map((task) => task.key).filter((key) => selected.has(key));
}
