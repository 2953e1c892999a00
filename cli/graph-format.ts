// `sluice graph`: a pipeline's DAG as text by levels, Mermaid, or Graphviz DOT.
import type { Pipeline, TaskSpec } from '../engine/spec/model.js';
import type { TaskGraph } from '../engine/spec/task-graph.js';
import { plural } from './diagnostic-format.js';
import type { Style } from './terminal-style.js';

export type GraphFormat = 'text' | 'mermaid' | 'dot';

export function formatGraph(pipeline: Pipeline, graph: TaskGraph, format: GraphFormat, style: Style): string {
  switch (format) {
    case 'mermaid': return mermaid(pipeline);
    case 'dot': return dot(pipeline);
    case 'text': return levelsText(pipeline, graph, style);
  }
}

function typeLabel(task: TaskSpec): string {
  return task.body.type === 'builtin' ? task.body.name : task.body.type;
}

function levelsText(pipeline: Pipeline, graph: TaskGraph, style: Style): string {
  const byKey = new Map(pipeline.tasks.map((t) => [t.key, t]));
  const levels = graph.levels();
  const width = Math.max(...pipeline.tasks.map((t) => t.key.length));
  const typeWidth = Math.max(...pipeline.tasks.map((t) => typeLabel(t).length));
  const lines = [style.bold(`${pipeline.name}: ${plural(pipeline.tasks.length, 'task')} in ${plural(levels.length, 'level')}`)];
  levels.forEach((keys, i) => {
    lines.push(style.dim(`level ${i + 1}`));
    for (const key of keys) {
      const task = byKey.get(key)!;
      const deps = task.dependsOn.map((d) => (d.outcome ? `${d.taskKey} (${d.outcome})` : d.taskKey));
      const notes = [
        ...(deps.length > 0 ? [`← ${deps.join(', ')}`] : []),
        ...(task.runIf !== 'all_success' ? [`run_if ${task.runIf}`] : []),
        ...(task.body.type === 'for_each' ? [`for each input, ${task.body.task.body.type}`] : []),
        ...(task.disabled ? ['disabled'] : []),
      ];
      lines.push(`  ${style.cyan(key.padEnd(width))}  ${typeLabel(task).padEnd(typeWidth)}  ${notes.join('; ')}`.trimEnd());
    }
  });
  return `${lines.join('\n')}\n`;
}

function mermaid(pipeline: Pipeline): string {
  // Task keys may hold '-', which Mermaid reads as part of an arrow; number the nodes instead.
  const id = new Map(pipeline.tasks.map((t, i) => [t.key, `t${i}`]));
  const label = (s: string) => s.replaceAll('"', '#quot;');
  const lines = ['flowchart TD'];
  for (const task of pipeline.tasks) {
    const text = `"${label(task.key)}"`;
    const shape = task.body.type === 'condition' ? `{${text}}` : task.body.type === 'for_each' ? `[[${text}]]` : `[${text}]`;
    lines.push(`  ${id.get(task.key)}${shape}`);
  }
  for (const task of pipeline.tasks) {
    for (const d of task.dependsOn) {
      const arrow = d.outcome ? `-- "${d.outcome}" -->` : '-->';
      lines.push(`  ${id.get(d.taskKey)} ${arrow} ${id.get(task.key)}`);
    }
  }
  for (const task of pipeline.tasks.filter((t) => t.disabled)) lines.push(`  style ${id.get(task.key)} stroke-dasharray: 5 5`);
  return `${lines.join('\n')}\n`;
}

function dot(pipeline: Pipeline): string {
  const quote = (s: string) => `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  const lines = [`digraph ${quote(pipeline.name)} {`, '  rankdir=TB;', '  node [shape=box];'];
  for (const task of pipeline.tasks) {
    const attributes = [
      ...(task.body.type === 'condition' ? ['shape=diamond'] : []),
      ...(task.body.type === 'for_each' ? ['peripheries=2'] : []),
      ...(task.disabled ? ['style=dashed'] : []),
    ];
    lines.push(`  ${quote(task.key)}${attributes.length > 0 ? ` [${attributes.join(', ')}]` : ''};`);
  }
  for (const task of pipeline.tasks) {
    for (const d of task.dependsOn) {
      lines.push(`  ${quote(d.taskKey)} -> ${quote(task.key)}${d.outcome ? ` [label=${quote(d.outcome)}]` : ''};`);
    }
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
