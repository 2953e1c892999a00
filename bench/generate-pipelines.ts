// Synthetic pipelines for the validation benchmark: chain, wide and layered
// DAGs of any size, with the mix of task kinds a real ML pipeline has. The
// output is deterministic (seeded), so runs on different days compare.

export type Shape = 'chain' | 'wide' | 'layered';
export const SHAPES: readonly Shape[] = ['chain', 'wide', 'layered'];

export interface GeneratedPipeline {
  shape: Shape;
  tasks: number;
  text: string;
}

interface Dependency {
  key: string;
  outcome?: 'true' | 'false';
}

interface TaskSpec {
  key: string;
  kind: 'command' | 'shell' | 'condition';
  deps: Dependency[];
  /** The upstream task (never a condition) whose value this task reads. */
  reads?: string;
  runIf?: string;
}

// The same seeded generator the trainers use, so the files are the same on every run.
export { seededRandom } from '../tasks/ml/gbdt/seeded-random.js';
import { seededRandom } from '../tasks/ml/gbdt/seeded-random.js';

const STAGES = ['extract', 'clean', 'features', 'train', 'evaluate', 'score', 'export'] as const;

function taskKey(i: number, kind: TaskSpec['kind']): string {
  return kind === 'condition' ? `gate_${i}` : `${STAGES[i % STAGES.length]!}_${i}`;
}

/** Task 20 and every 40th after it is a condition (never a root, never the chain's last task or the wide sink). */
function pickKind(random: () => number, i: number, canBeCondition: boolean): TaskSpec['kind'] {
  const r = random();
  if (canBeCondition && i % 40 === 20) return 'condition';
  return r < 0.6 ? 'command' : 'shell';
}

/** Builds the task list of one shape; every task after a condition follows one of its outcomes. */
function planTasks(shape: Shape, n: number, random: () => number): TaskSpec[] {
  if (n < 3) throw new Error(`a ${shape} pipeline needs at least 3 tasks, not ${n}`);
  const tasks: TaskSpec[] = [];
  // For each task: the nearest task at or above it that is not a condition, whose values others read.
  const valueSource = new Map<string, string>();
  const add = (i: number, kind: TaskSpec['kind'], deps: Dependency[], runIf?: string): TaskSpec => {
    const key = taskKey(i, kind);
    const firstDep = deps[0];
    const reads = firstDep ? valueSource.get(firstDep.key) : undefined;
    if (firstDep && reads === undefined) throw new Error(`generator bug: ${key} depends on unplanned ${firstDep.key}`);
    valueSource.set(key, kind === 'condition' ? reads! : key);
    const task: TaskSpec = { key, kind, deps, reads, runIf };
    tasks.push(task);
    return task;
  };
  const edgeTo = (upstream: TaskSpec, outcome: 'true' | 'false' = 'true'): Dependency =>
    upstream.kind === 'condition' ? { key: upstream.key, outcome } : { key: upstream.key };

  switch (shape) {
    case 'chain': {
      let previous = add(0, 'shell', []);
      for (let i = 1; i < n; i++) previous = add(i, pickKind(random, i, i < n - 1), [edgeTo(previous)]);
      break;
    }
    case 'wide': {
      const root = add(0, 'shell', []);
      const middle: TaskSpec[] = [];
      for (let i = 1; i < n - 1; i++) middle.push(add(i, pickKind(random, i, true), [{ key: root.key }]));
      // The sink waits for every branch, including the ones a gate turned off.
      add(n - 1, 'command', middle.map((t) => edgeTo(t, random() < 0.5 ? 'true' : 'false')), 'all_done');
      break;
    }
    case 'layered': {
      const width = Math.max(2, Math.round(Math.sqrt(n)));
      let previousLayer: TaskSpec[] = [];
      let layer: TaskSpec[] = [];
      for (let i = 0; i < n; i++) {
        if (i % width === 0 && i > 0) {
          previousLayer = layer;
          layer = [];
        }
        if (previousLayer.length === 0) {
          layer.push(add(i, i % 2 === 0 ? 'shell' : 'command', []));
          continue;
        }
        const wanted = Math.min(previousLayer.length, random() < 0.5 ? 2 : 3);
        const chosen = new Set<number>();
        while (chosen.size < wanted) chosen.add(Math.floor(random() * previousLayer.length));
        const deps = [...chosen].sort((a, b) => a - b).map((j) => edgeTo(previousLayer[j]!, random() < 0.7 ? 'true' : 'false'));
        const runIf = random() < 0.05 ? 'none_failed' : undefined;
        layer.push(add(i, pickKind(random, i, true), deps, runIf));
      }
      break;
    }
  }
  return tasks;
}

const q = (s: string): string => JSON.stringify(s); // a JSON string is a valid YAML double-quoted scalar

function renderTask(task: TaskSpec, index: number, out: string[]): void {
  out.push(`  - task_key: ${task.key}`);
  if (index % 9 === 0) out.push(`    description: ${q(`step ${index} of the nightly model refresh`)}`);
  if (task.deps.length > 0) {
    out.push('    depends_on:');
    for (const dep of task.deps) {
      out.push(dep.outcome ? `      - { task_key: ${dep.key}, outcome: "${dep.outcome}" }` : `      - ${dep.key}`);
    }
  }
  if (task.runIf) out.push(`    run_if: ${task.runIf}`);
  const input = task.reads ? `{{tasks.${task.reads}.values.path}}` : undefined;
  const output = `/data/{{job.parameters.date}}/${task.key}.parquet`;
  switch (task.kind) {
    case 'condition':
      out.push('    condition:');
      out.push(`      left: ${q(`{{tasks.${task.reads!}.values.score}}`)}`);
      out.push('      op: GREATER_THAN_OR_EQUAL');
      out.push(`      right: ${q('{{job.parameters.min_score}}')}`);
      return; // conditions start no process: no retries, no timeout
    case 'command':
      out.push(`    command: [python3, step.py, --stage, ${task.key.split('_')[0]!}` +
        `${input ? `, --in, ${q(input)}` : ''}, --out, ${q(output)}]`);
      break;
    case 'shell':
      out.push('    shell: |');
      out.push(`      python3 ${task.key.split('_')[0]!}.py --date {{job.parameters.date}}${input ? ` --in ${input}` : ''}`);
      out.push(`      echo "path=${output}" >> "$SLUICE_OUTPUT"`);
      out.push(`      echo "score=0.9" >> "$SLUICE_OUTPUT"`);
      break;
  }
  if (index % 5 === 1) {
    out.push('    max_retries: 2');
    out.push('    min_retry_interval_millis: 1000');
    out.push('    retry_backoff: 2');
    out.push('    max_retry_interval_millis: 30000');
  }
  if (index % 11 === 3) out.push('    retry_on_exit_codes: [75, 137]');
  if (index % 7 === 2) out.push('    timeout_seconds: 3600');
  if (index % 13 === 4) {
    out.push('    env:');
    out.push(`      RUN_DATE: ${q('{{job.parameters.date}}')}`);
    out.push('      OMP_NUM_THREADS: 2');
  }
}

export function generatePipeline(shape: Shape, n: number, seed = 20240601): GeneratedPipeline {
  const random = seededRandom(seed ^ (n * 31) ^ SHAPES.indexOf(shape));
  const tasks = planTasks(shape, n, random);
  const out: string[] = [
    '# Generated by bench/generate-pipelines.ts for the validation benchmark.',
    `name: bench-${shape}-${n}`,
    `description: ${q(`${shape} DAG of ${n} tasks`)}`,
    'parameters:',
    '  - { name: date, default: "2024-06-01", description: partition to process }',
    '  - { name: min_score, type: number, default: 0.8, description: bar a model must clear }',
    'task_defaults:',
    '  timeout_seconds: 7200',
    '  retry_on_timeout: true',
    'tasks:',
  ];
  tasks.forEach((task, index) => renderTask(task, index, out));
  out.push('');
  return { shape, tasks: tasks.length, text: out.join('\n') };
}
