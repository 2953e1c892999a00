// The dependencies of a pipeline's tasks, read from the YAML stored with a
// run. The stored text was valid when the run started, so views that only
// draw the DAG (the terminal UI) need not validate it again: a full load of a
// 500-task pipeline costs ~75 ms cold, this ~5 ms.
import { parseYamlFast } from './fast-yaml.js';

/** task key → the keys it depends on; undefined when the text is not a pipeline. */
export type TaskDependencies = Map<string, string[]>;

export function readTaskDependencies(yamlText: string): TaskDependencies | undefined {
  const parsed = parseYamlFast(yamlText);
  if (!parsed.ok || !isRecord(parsed.value) || !Array.isArray(parsed.value.tasks)) return undefined;
  const dependencies: TaskDependencies = new Map();
  for (const task of parsed.value.tasks) {
    if (!isRecord(task) || typeof task.task_key !== 'string') return undefined;
    const listed = Array.isArray(task.depends_on) ? task.depends_on : [];
    dependencies.set(task.task_key, listed.map((entry) => (isRecord(entry) ? String(entry.task_key) : String(entry))));
  }
  return dependencies;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
