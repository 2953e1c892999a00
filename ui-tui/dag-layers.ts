// The run detail's task list as a layered graph: each task on the layer of
// its longest chain of dependencies (roots on layer 0), indented by it, in
// file order within a layer; for_each iterations right under their loop.
import type { TaskDependencies } from '../engine/spec/stored-dependencies.js';
import type { TaskRunRow } from '../engine/state/run-store.js';
import { taskTree } from '../cli/run-format.js';

export interface TaskLine {
  row: TaskRunRow;
  /** Indentation level: the layer, or one more than its loop's for an iteration. */
  depth: number;
  /** null when the run's pipeline could not be read (its dependencies are unknown). */
  layer: number | null;
  dependsOn: string[];
}

/** Beyond this, deeper layers keep the same indentation: names stay readable in a long chain. */
const MAX_INDENT = 6;

export function layeredTasks(rows: readonly TaskRunRow[], dependsOn: TaskDependencies | undefined): TaskLine[] {
  if (!dependsOn) return taskTree(rows).map(({ row, depth }) => ({ row, depth, layer: null, dependsOn: [] }));
  const layers = layerOf(dependsOn);
  const top = rows.filter((row) => row.parent_task_key === null);
  const order = new Map(top.map((row, i) => [row.task_key, i]));
  top.sort((a, b) => (layers.get(a.task_key) ?? 0) - (layers.get(b.task_key) ?? 0) || order.get(a.task_key)! - order.get(b.task_key)!);
  const iterations = new Map<string, TaskRunRow[]>();
  for (const row of rows) {
    if (row.parent_task_key === null) continue;
    iterations.set(row.parent_task_key, [...iterations.get(row.parent_task_key) ?? [], row]);
  }
  const lines: TaskLine[] = [];
  for (const row of top) {
    const layer = layers.get(row.task_key) ?? 0;
    const depth = Math.min(layer, MAX_INDENT);
    lines.push({ row, depth, layer, dependsOn: dependsOn.get(row.task_key) ?? [] });
    const children = (iterations.get(row.task_key) ?? []).sort((a, b) => (a.iteration ?? 0) - (b.iteration ?? 0));
    for (const child of children) lines.push({ row: child, depth: depth + 1, layer, dependsOn: [] });
  }
  return lines;
}

/** Longest path from a root, for every task; iterative, so a 10,000-task chain does not overflow the stack. */
function layerOf(dependsOn: ReadonlyMap<string, readonly string[]>): Map<string, number> {
  const layers = new Map<string, number>();
  for (const start of dependsOn.keys()) {
    const stack: string[] = [start];
    const entered = new Set<string>();
    while (stack.length > 0) {
      const key = stack[stack.length - 1]!;
      if (layers.has(key)) { stack.pop(); continue; }
      const pending = (dependsOn.get(key) ?? []).filter((dep) => !layers.has(dep) && dependsOn.has(dep));
      if (pending.length > 0 && !entered.has(key)) {
        entered.add(key);
        stack.push(...pending);
        continue;
      }
      // A cycle cannot pass validation; if one did, its tasks simply share a layer.
      layers.set(key, Math.max(-1, ...(dependsOn.get(key) ?? []).map((dep) => layers.get(dep) ?? -1)) + 1);
      stack.pop();
    }
  }
  return layers;
}
