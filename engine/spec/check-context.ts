// What every semantic check reads: the plain value, a lenient view of its
// tasks (semantic checks run even when the schema check found errors, so that
// one pass reports everything), and the findings the checks add.
import type { Severity } from '../diagnostics.js';
import type { Finding, PathSegment } from './finding.js';
import { isRecord } from './path-names.js';

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
  readonly findings: Finding[] = [];
  readonly root: Record<string, unknown>;
  /** Tasks with a usable task_key, first occurrence of each key. */
  readonly tasks: RawTask[] = [];
  readonly taskByKey = new Map<string, RawTask>();
  readonly duplicateTasks: RawTask[] = [];

  constructor(value: unknown) {
    this.root = isRecord(value) ? value : {};
    const tasks = Array.isArray(this.root.tasks) ? this.root.tasks : [];
    tasks.forEach((task, index) => {
      if (!isRecord(task) || typeof task.task_key !== 'string') return;
      const path: PathSegment[] = ['tasks', index];
      const raw: RawTask = { index, key: task.task_key, value: task, path, dependencies: readDependencies(task, path) };
      if (this.taskByKey.has(raw.key)) this.duplicateTasks.push(raw);
      else {
        this.taskByKey.set(raw.key, raw);
        this.tasks.push(raw);
      }
    });
  }

  error(path: readonly PathSegment[], code: string, message: Finding['message'], part: 'key' | 'value' = 'value'): void {
    this.add('error', path, code, message, part);
  }

  warning(path: readonly PathSegment[], code: string, message: string, part: 'key' | 'value' = 'value'): void {
    this.add('warning', path, code, message, part);
  }

  /** An error on part of a string value, e.g. one reference or one cron field. */
  errorInString(path: readonly PathSegment[], needle: string, code: string, message: string): void {
    this.findings.push({ severity: 'error', code, message, path, part: 'value', needle: needle || undefined });
  }

  private add(severity: Severity, path: readonly PathSegment[], code: string, message: Finding['message'], part: 'key' | 'value'): void {
    this.findings.push({ severity, code, message, path, part });
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
