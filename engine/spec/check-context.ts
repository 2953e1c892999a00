// What every semantic check reads: the parsed document, a lenient view of its
// tasks (semantic checks run even when the schema check found errors, so that
// one pass reports everything), and a way to emit located diagnostics.
import type { Node } from 'yaml';
import type { Diagnostic, Severity } from '../diagnostics.js';
import { isRecord } from './path-names.js';
import { diagnosticAt, locate, spanOf, type PathSegment, type YamlDocument } from './yaml-document.js';

export interface RawDependency {
  taskKey: string;
  outcome?: 'true' | 'false';
  path: PathSegment[];
}

export interface RawTask {
  index: number;
  key: string;
  value: Record<string, unknown>;
  path: PathSegment[];
  dependencies: RawDependency[];
}

export class CheckContext {
  readonly diagnostics: Diagnostic[] = [];
  readonly root: Record<string, unknown>;
  /** Tasks with a usable task_key, first occurrence of each key. */
  readonly tasks: RawTask[] = [];
  readonly taskByKey = new Map<string, RawTask>();
  readonly duplicateTasks: RawTask[] = [];

  constructor(readonly yaml: YamlDocument) {
    this.root = isRecord(yaml.value) ? yaml.value : {};
    const tasks = Array.isArray(this.root.tasks) ? this.root.tasks : [];
    tasks.forEach((value, index) => {
      if (!isRecord(value) || typeof value.task_key !== 'string') return;
      const path: PathSegment[] = ['tasks', index];
      const task: RawTask = { index, key: value.task_key, value, path, dependencies: readDependencies(value, path) };
      if (this.taskByKey.has(task.key)) this.duplicateTasks.push(task);
      else {
        this.taskByKey.set(task.key, task);
        this.tasks.push(task);
      }
    });
  }

  error(path: readonly PathSegment[], code: string, message: string, part: 'key' | 'value' = 'value'): void {
    this.emit('error', path, code, message, part);
  }

  warning(path: readonly PathSegment[], code: string, message: string, part: 'key' | 'value' = 'value'): void {
    this.emit('warning', path, code, message, part);
  }

  /** A diagnostic on part of a string value, e.g. one reference or one cron field. */
  errorInString(path: readonly PathSegment[], needle: string, code: string, message: string): void {
    const node = this.nodeAt(path);
    const source = node?.range ? this.yaml.text.slice(node.range[0], node.range[1]) : '';
    const offset = needle === '' ? -1 : source.indexOf(needle);
    const span = offset >= 0 ? spanOf(this.yaml, node, offset, needle.length) : spanOf(this.yaml, node);
    this.diagnostics.push({ severity: 'error', code, file: this.yaml.file, message, ...span });
  }

  nodeAt(path: readonly PathSegment[], part: 'key' | 'value' = 'value'): Node | undefined {
    const found = locate(this.yaml, path);
    return part === 'key' ? found.key ?? found.node : found.node;
  }

  private emit(severity: Severity, path: readonly PathSegment[], code: string, message: string, part: 'key' | 'value'): void {
    this.diagnostics.push(diagnosticAt(this.yaml, this.nodeAt(path, part), code, message, severity));
  }
}

function readDependencies(task: Record<string, unknown>, taskPath: PathSegment[]): RawDependency[] {
  if (!Array.isArray(task.depends_on)) return [];
  const out: RawDependency[] = [];
  task.depends_on.forEach((entry, i) => {
    const path = [...taskPath, 'depends_on', i];
    if (typeof entry === 'string') out.push({ taskKey: entry, path });
    else if (isRecord(entry) && typeof entry.task_key === 'string') {
      const outcome = entry.outcome === undefined ? undefined : String(entry.outcome);
      out.push({
        taskKey: entry.task_key,
        outcome: outcome === 'true' || outcome === 'false' ? outcome : undefined,
        path: [...path, 'task_key'],
      });
    }
  });
  return out;
}

/** The type key of a task or nested task, when it has exactly one of the known ones. */
export function taskTypeOf(task: Record<string, unknown>, typeKeys: readonly string[]): string | undefined {
  const present = typeKeys.filter((key) => key in task);
  return present.length === 1 ? present[0] : undefined;
}
