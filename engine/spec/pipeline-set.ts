// Loads every pipeline under the given files and folders, then checks what
// only the whole set can tell: unique names and run_pipeline targets.
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { alg, Graph } from '@dagrejs/graphlib';
import { UsageError } from '../diagnostics.js';
import { didYouMean } from '../suggest.js';
import { isRecord } from './path-names.js';
import type { LoadedPipeline, PipelineLoader } from './pipeline-loader.js';
import { diagnosticAt, locate, type PathSegment } from './yaml-document.js';

const PIPELINE_EXTENSIONS = new Set(['.yaml', '.yml']);

/** Files given by name are taken as they are; folders contribute their *.yaml and *.yml files, recursively. */
export function findPipelineFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      throw new UsageError(`${path}: no such file or folder`);
    }
    if (isDirectory) files.push(...walk(path));
    else files.push(path);
  }
  return files;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(path));
    else if (entry.isFile() && PIPELINE_EXTENSIONS.has(extname(entry.name))) out.push(path);
  }
  return out;
}

export function loadPipelineSet(loader: PipelineLoader, files: readonly string[]): LoadedPipeline[] {
  const loaded = files.map((file) => loader.loadFile(file));
  if (loaded.length > 1) checkAcrossPipelines(loaded);
  return loaded;
}

interface RunPipelineCall {
  from: LoadedPipeline;
  target: string;
  path: PathSegment[];
}

function checkAcrossPipelines(loaded: LoadedPipeline[]): void {
  const byName = new Map<string, LoadedPipeline>();
  const calls: RunPipelineCall[] = [];
  for (const item of loaded) {
    const root = item.yaml?.value;
    if (!isRecord(root) || typeof root.name !== 'string') continue;
    const first = byName.get(root.name);
    if (first) {
      report(item, ['name'], 'duplicate-pipeline', `pipeline name '${root.name}' is also used by ${first.file}; names must be unique`);
    } else byName.set(root.name, item);
    calls.push(...runPipelineCalls(item, root));
  }
  const graph = new Graph();
  for (const call of calls) {
    if (!byName.has(call.target)) {
      report(call.from, call.path, 'unknown-pipeline',
        `run_pipeline names unknown pipeline '${call.target}'${didYouMean(call.target, byName.keys())}`);
    } else graph.setEdge(nameOf(call.from), call.target);
  }
  for (const cycle of alg.findCycles(graph)) {
    const members = new Set(cycle);
    const call = calls.find((c) => members.has(nameOf(c.from)) && members.has(c.target))!;
    report(call.from, call.path, 'pipeline-cycle', `run_pipeline cycle between pipelines ${[...cycle].sort().join(', ')}; a run would never end`);
  }
}

function runPipelineCalls(item: LoadedPipeline, root: Record<string, unknown>): RunPipelineCall[] {
  const calls: RunPipelineCall[] = [];
  const tasks = Array.isArray(root.tasks) ? root.tasks : [];
  tasks.forEach((task, i) => {
    if (!isRecord(task)) return;
    const candidates: [unknown, PathSegment[]][] = [[task.run_pipeline, ['tasks', i, 'run_pipeline']]];
    if (isRecord(task.for_each)) candidates.push([(task.for_each.task as Record<string, unknown> | undefined)?.run_pipeline, ['tasks', i, 'for_each', 'task', 'run_pipeline']]);
    for (const [run, path] of candidates) {
      if (isRecord(run) && typeof run.pipeline === 'string') calls.push({ from: item, target: run.pipeline, path: [...path, 'pipeline'] });
    }
  });
  return calls;
}

function nameOf(item: LoadedPipeline): string {
  return (item.yaml!.value as { name: string }).name;
}

function report(item: LoadedPipeline, path: PathSegment[], code: string, message: string): void {
  const yaml = item.yaml!;
  item.diagnostics.push(diagnosticAt(yaml, locate(yaml, path).node, code, message));
  delete item.pipeline;
}
